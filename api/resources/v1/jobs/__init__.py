from api.resources.v1.jobs.routes import blp

__all__ = ["blp"]
