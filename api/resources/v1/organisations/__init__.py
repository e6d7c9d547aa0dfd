from api.resources.v1.organisations.routes import blp

__all__ = ["blp"]
