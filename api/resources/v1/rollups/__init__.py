from api.resources.v1.rollups.routes import blp

__all__ = ["blp"]
