from api.resources.v1.audiences.routes import blp

__all__ = ["blp"]
