from api.resources.v1.plan.routes import blp

__all__ = ["blp"]
