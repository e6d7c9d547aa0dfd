from api.resources.v1.plan_feeds.routes import blp, calendar_blp

__all__ = ["blp", "calendar_blp"]
