from api.resources.v1.key_messages.routes import blp

__all__ = ["blp"]
