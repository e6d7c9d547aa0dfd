from api.resources.v1.content_items.routes import blp

__all__ = ["blp"]
