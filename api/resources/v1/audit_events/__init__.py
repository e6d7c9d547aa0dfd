from api.resources.v1.audit_events.routes import blp

__all__ = ["blp"]
