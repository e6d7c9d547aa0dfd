from api.resources.v1.media.routes import blp

__all__ = ["blp"]
