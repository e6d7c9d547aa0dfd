"""The range of days, months, instants and integers Clover accepts and computes with.

Marketing data from before the Unix epoch or after the year 2999 is a typing
error, not history or a plan; bounding every input to this range (and keeping
derived dates, such as a report's baseline or a plan's last month, inside it)
keeps date arithmetic far from Python's and the databases' limits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(2999, 12, 31)
MIN_INSTANT = datetime.combine(MIN_DAY, time.min, tzinfo=UTC)
MAX_INSTANT = datetime.combine(MAX_DAY, time.max, tzinfo=UTC)
MIN_MONTH = "1970-01"
MAX_MONTH = "2999-12"

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
MAX_DIGITS = 100  # longer numbers are refused before Python's int conversion limit (4,300)

# The years 1969 to 2999 as a regular expression, for the spec (JSON Schema `pattern`).
# 1969 too: the week or fiscal quarter that holds 1970-01-01 starts in it, and reports
# show such period starts; input before 1970-01-01 is refused by the range check.
YEAR_PATTERN = r"(1969|19[7-9]\d|2\d{3})"
DAY_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
MONTH_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])$"

DAYS = f"{MIN_DAY.isoformat()} to {MAX_DAY.isoformat()}"
MONTHS = f"{MIN_MONTH} to {MAX_MONTH}"
INSTANTS = "1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z, in UTC after applying any offset"


def day_in_range(day: date) -> bool:
    return MIN_DAY <= day <= MAX_DAY
