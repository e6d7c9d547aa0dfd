from api.resources.v1.content_series.routes import blp

__all__ = ["blp"]
