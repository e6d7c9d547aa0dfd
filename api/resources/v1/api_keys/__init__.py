from api.resources.v1.api_keys.routes import blp

__all__ = ["blp"]
