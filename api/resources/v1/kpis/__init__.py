from api.resources.v1.kpis.routes import blp

__all__ = ["blp"]
