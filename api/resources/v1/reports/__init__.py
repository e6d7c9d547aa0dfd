"""Reports: one module per report, all on the `reports` blueprint."""

from api.resources.v1.reports.blueprint import blp

__all__ = ["blp"]
