from api.resources.v1.oauth_clients.routes import blp

__all__ = ["blp"]
