"""Resolving the handles and UTM codes named by an import's rows, on a real session."""

from __future__ import annotations

import io

from api.domain.channels.service import ChannelDraft, create_channel
from api.domain.metrics.import_csv import ColumnMapping, Lines, read_header, rows
from api.domain.metrics.import_names import resolve_names
from tests.domain.test_strategy_service import tenant_of

BY_HANDLE = ColumnMapping(
    day="Date", value="Sales", metric_key="pos_sales", channel_handle_column="Channel"
)


def read(text: str) -> list:
    raw = io.BytesIO(text.encode())
    header = read_header(raw, BY_HANDLE)
    return list(rows(Lines(raw, offset=header.offset, line=header.line), BY_HANDLE, header))


def test_the_names_of_a_chunk_are_resolved_in_one_query_whatever_its_rows(factory, count_queries):
    org = factory.organisation()
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        for handle in ("@one", "@two"):
            create_channel(uow=uow, draft=ChannelDraft(kind="x", name=handle, handle=handle))
    lines = "".join(f"2027-03-{day:02},1,@{('one', 'two')[day % 2]}\n" for day in range(1, 29))
    chunk = read("Date,Sales,Channel\n" + lines + "2027-03-29,1,@three\n")

    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        with count_queries() as counter:
            resolved, refused = resolve_names(uow=uow, mapping=BY_HANDLE, rows=chunk)

    assert counter.count == 1
    assert len(resolved) == 28 and all(row.point["channel_id"] for row in resolved)
    assert refused == [(30, "Channel: '@three' matches no channel")]
