from api.resources.v1.signup.routes import blp

__all__ = ["blp"]
