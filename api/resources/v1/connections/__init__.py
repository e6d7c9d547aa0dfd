from api.resources.v1.connections.routes import blp

__all__ = ["blp"]
