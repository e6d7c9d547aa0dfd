from api.resources.v1.competitors.routes import blp

__all__ = ["blp"]
