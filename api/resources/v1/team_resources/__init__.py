from api.resources.v1.team_resources.routes import blp

__all__ = ["blp"]
