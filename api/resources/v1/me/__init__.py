from api.resources.v1.me.routes import blp

__all__ = ["blp"]
