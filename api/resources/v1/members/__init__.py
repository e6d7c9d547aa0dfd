from api.resources.v1.members.routes import blp

__all__ = ["blp"]
