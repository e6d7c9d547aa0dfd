from api.resources.v1.imports.routes import blp

__all__ = ["blp"]
