from api.resources.v1.strategies.routes import blp

__all__ = ["blp"]
