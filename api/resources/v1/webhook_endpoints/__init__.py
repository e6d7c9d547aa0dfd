from api.resources.v1.webhook_endpoints.routes import blp

__all__ = ["blp"]
