from api.resources.v1.objectives.routes import blp

__all__ = ["blp"]
