from api.resources.v1.mentions.routes import blp

__all__ = ["blp"]
