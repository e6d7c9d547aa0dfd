from api.resources.v1.invitations.routes import accept_blp, blp

__all__ = ["accept_blp", "blp"]
