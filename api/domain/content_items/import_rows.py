"""Reading a CSV of planned posts: its columns and each row as a content item draft. No database.

The columns are those of the plan's CSV export (``GET …/plan`` with ``Accept: text/csv``),
so an exported plan, edited, can be imported again. Columns the import does not know
(the export's ``id``, ``channel_handle`` and the like) are ignored.
"""

from __future__ import annotations

COLUMNS = (
    "title",
    "channel",
    "campaign",
    "owner",
    "due_date",
    "scheduled_at",
    "text",
    "status",
    "format",
    "effort_hours",
    "brief",
)
REQUIRED = ("title", "channel", "campaign")
