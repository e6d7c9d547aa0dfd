from api.resources.v1.readiness.routes import blp

__all__ = ["blp"]
