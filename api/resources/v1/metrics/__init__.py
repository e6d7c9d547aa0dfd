from api.resources.v1.metrics.routes import blp

__all__ = ["blp"]
