from api.resources.v1.campaigns.routes import blp

__all__ = ["blp"]
