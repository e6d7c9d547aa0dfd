from api.resources.v1.content_items.imports import imports_blp
from api.resources.v1.content_items.routes import blp

__all__ = ["blp", "imports_blp"]
