import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.domain.base import new_id, new_id_texts
from api.domain.errors import RuleViolation
from api.domain.pagination import decode_cursor, encode_cursor


def test_ids_are_uuid7_and_strictly_increasing():
    ids = [new_id() for _ in range(5000)]

    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_spelled_for_bulk_inserts_are_uuid7_in_the_same_sequence_as_new_id():
    made = [new_id(), *map(uuid.UUID, new_id_texts(1000)), new_id()]

    assert all(i.version == 7 for i in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_cursor_round_trips():
    value = uuid.uuid4()
    assert decode_cursor(encode_cursor(value)) == value


@pytest.mark.parametrize(
    "cursor",
    ["", "abc", "djE6", "!!!!", encode_cursor(uuid.uuid4())[:-2]],
    ids=["empty", "abc", "prefix-only", "not-base64", "cut-short"],  # the same in every worker
)
def test_a_tampered_cursor_is_a_rule_violation(cursor):
    with pytest.raises(RuleViolation) as error:
        decode_cursor(cursor)
    assert "cursor" in error.value.errors


def test_ids_made_on_several_threads_are_unique_and_increase_on_each():
    def make() -> list[uuid.UUID]:
        return [new_id() for _ in range(2000)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        batches = list(pool.map(lambda _: make(), range(4)))

    assert all(batch == sorted(batch) for batch in batches)
    assert len({i for batch in batches for i in batch}) == 8000
    assert max(batches[0]) < new_id()  # a later id sorts after every earlier one
