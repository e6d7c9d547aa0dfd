from api.resources.v1.oauth_grants.routes import blp

__all__ = ["blp"]
