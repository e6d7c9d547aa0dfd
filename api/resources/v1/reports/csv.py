"""`Accept: text/csv` on every report: the same figures, as rows for a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import wraps

from flask import Response, request

from api.domain import money
from api.domain.imports.csv_file import FORMULA_STARTS

CSV = "text/csv"

# A cell that starts with one of FORMULA_STARTS (OWASP's rule for CSV injection) would
# run as a formula in a spreadsheet, so it is prefixed with a quote and read as text.


def wants_csv() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", CSV])
    return (
        best == CSV and request.accept_mimetypes[CSV] > request.accept_mimetypes["application/json"]
    )


def as_csv(rows: Iterable[dict], columns: list[str] | None = None) -> Response:
    """The rows as CSV; ``columns`` fixes the header (else the rows' keys, in order)."""
    rows = list(rows)
    out = io.StringIO()
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return Response(out.getvalue(), mimetype=CSV)


def cell(value: object) -> object:
    """A value as a CSV cell: empty for None, text that cannot run as a formula.

    Numbers are left alone (a negative figure is a number, not a formula); only
    text is neutralised. Money is written as in JSON: to the cent, "12000.00".
    """
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(money.quantize(value), "f")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_alternative(rows_of: Callable[[dict], Iterable[dict]]):
    """The view returns the JSON body; with `Accept: text/csv`, ``rows_of(body)`` as CSV.

    The innermost decorator, just above the function: higher up it would get the
    response ``@blp.response`` has already built instead of the body. Document the
    CSV variant with ``@blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})``
    (an integer key, so it is merged with the JSON response rather than replacing it).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            body = view(*args, **kwargs)
            return as_csv(rows_of(body)) if wants_csv() else body

        return wrapper

    return decorator


CSV_RESPONSE = {
    "description": "The same figures as CSV, with `Accept: text/csv`",
    "content": {CSV: {"schema": {"type": "string"}}},
}
