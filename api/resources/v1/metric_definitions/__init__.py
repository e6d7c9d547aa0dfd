from api.resources.v1.metric_definitions.routes import blp

__all__ = ["blp"]
