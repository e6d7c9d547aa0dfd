from api.resources.v1.resources.routes import blp

__all__ = ["blp"]
