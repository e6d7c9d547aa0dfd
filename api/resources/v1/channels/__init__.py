from api.resources.v1.channels.routes import blp

__all__ = ["blp"]
