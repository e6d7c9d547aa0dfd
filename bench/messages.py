"""Key-message matching benchmark: Clover's matching path against the bare matcher.

Run with ``.venv/bin/python -m bench.messages`` (``bench.run`` runs it last;
``--texts 100000`` for a quick look). Like the other benchmarks it creates a
throwaway PostgreSQL database ``bench_<random>`` on the server named by
``BENCH_DATABASE_URL``, migrates it, measures in-process and drops the database,
also when something fails.

Data: one organisation with 50 key messages of 5 phrases each (2 to 3 words from a
vocabulary of 600), and 1 million synthetic mention texts (8 to 30 words, about one
in ten carrying a phrase, inflected or capitalised or accented), loaded with COPY.

Measured, on the same texts in the same run:

- (a) the bare matcher: ``PhraseMatcher.find_many`` over the texts in memory;
- (b) Clover's arrival path, ``matching.link_mentions`` on batches of 1,000 mentions
  (the largest batch the API takes), each in its own unit of work: the matcher of
  the organisation (cached while its messages' phrases stay the same), the deletion of the batch's
  old links, matching, one INSERT of the links, the commit;
- (c) the re-matching job for one message, ``matching.rematch``: its links deleted,
  every mention read in chunks, matched and linked, against (d) the bare matcher of
  that one message over the same texts.

The ratios (b)/(a) and (c)/(d) are what to compare between runs; nothing here
passes or fails on time (see docs/performance.md). The module also seeds the
mentions and links the reports benchmark reads (``seed_pull_through``).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import psycopg
from sqlalchemy import func, select

from api.domain.base import new_id, utcnow
from api.domain.key_messages import matching
from api.domain.key_messages.models import MentionMessage
from api.domain.key_messages.service import KeyMessageDraft, create_message
from api.domain.mentions import sentiment
from api.domain.phrases import PhraseMatcher
from api.domain.strategies.service import StrategyDraft, create_strategy
from bench import metrics
from bench.common import environment, psycopg_url, table, throwaway_database
from tests.factories import Factory

MESSAGES = 50
PHRASES = 5
TEXTS = 1_000_000
BATCH = 1_000  # mentions per batch on the arrival path (the API's largest batch)
CARRYING = 0.1  # share of texts given a phrase
VOCABULARY = 600
FILLER = ("the", "a", "is", "and", "we", "our", "it", "so", "with", "for", "not", "really")
MENTION_COLUMNS = (
    "id",
    "organisation_id",
    "channel_id",
    "author",
    "text",
    "posted_at",
    "topic",
    "sentiment_score",
    "sentiment_label",
    "version",
    "created_at",
    "updated_at",
)
COPY_MENTIONS = f"COPY mentions ({', '.join(MENTION_COLUMNS)}) FROM STDIN"
COPY_LINKS = "COPY {table} (organisation_id, {column}, key_message_id) FROM STDIN"


def words(rng: random.Random) -> list[str]:
    """A vocabulary of made-up but pronounceable words (the stemmer sees real-looking ones)."""
    syllables = ["ka", "lo", "mi", "ren", "sto", "vel", "dar", "pin", "tu", "gor", "sel", "bri"]
    found: set[str] = set()
    while len(found) < VOCABULARY:
        found.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))))
    return sorted(found)


def phrases_of(rng: random.Random, vocabulary: list[str], messages: int) -> list[list[str]]:
    return [
        [" ".join(rng.sample(vocabulary, rng.randint(2, 3))) for _ in range(PHRASES)]
        for _ in range(messages)
    ]


def variant(phrase: str, rng: random.Random) -> str:
    """The phrase as people write it: capitalised, inflected or accented."""
    first, *rest = phrase.split(" ")
    choice = rng.randrange(4)
    if choice == 1:
        first = first.capitalize()
    elif choice == 2:
        rest = [*rest[:-1], rest[-1] + "s"] if rest else rest
    elif choice == 3:
        first = first.replace("e", "é", 1)
    return " ".join([first, *rest])


def texts_of(
    rng: random.Random, vocabulary: list[str], phrases: list[list[str]], n: int
) -> tuple[list[str], list[int | None]]:
    """``n`` texts, and for each the message whose phrase it was given (None: none)."""
    texts, given = [], []
    pool = vocabulary + list(FILLER) * 20
    for _ in range(n):
        text = rng.choices(pool, k=rng.randint(8, 30))
        message = None
        if rng.random() < CARRYING:
            message = rng.randrange(len(phrases))
            phrase = variant(rng.choice(phrases[message]), rng)
            text.insert(rng.randrange(len(text)), phrase)
        texts.append(" ".join(text))
        given.append(message)
    return texts, given


def copy_mentions(
    raw: psycopg.Connection,
    org: uuid.UUID,
    channels: list[uuid.UUID],
    texts: list[str],
    first: date,
    days: int,
    rng: random.Random,
) -> list[uuid.UUID]:
    """The texts as mentions, spread over ``days`` from ``first`` (FK checks off: valid rows)."""
    now = utcnow()
    ids = []
    topics = ("company",) * 7 + ("competitor",) * 2 + ("industry",)
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.copy(COPY_MENTIONS) as copy:
            for n, text in enumerate(texts):
                mention_id = new_id()
                ids.append(mention_id)
                day = first + timedelta(days=n * days // len(texts))
                at = datetime.combine(day, clock(9 + n % 12), tzinfo=UTC)
                score = round(rng.uniform(-1, 1), 3)
                channel = channels[n % len(channels)]
                row = (mention_id, org, channel, "", text, at, topics[n % len(topics)], score)
                copy.write_row((*row, sentiment.label(score), 1, now, now))
        cursor.execute("ANALYZE mentions")
    return ids


def copy_links(raw: psycopg.Connection, table_name: str, column: str, org, pairs) -> int:
    count = 0
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.copy(COPY_LINKS.format(table=table_name, column=column)) as copy:
            for ref, message in pairs:
                copy.write_row((org, ref, message))
                count += 1
        cursor.execute(f"ANALYZE {table_name}")
    return count


def create_messages(ws: metrics.Workspace, strategy_id, phrases: list[list[str]]) -> list:
    """Through the domain service (no job dispatcher here: the job is measured apart)."""
    ids = []
    for n, carried in enumerate(phrases):
        with ws.uow() as uow:
            made = create_message(
                uow=uow,
                strategy_id=strategy_id,
                draft=KeyMessageDraft(name=f"Message {n + 1:02d}", phrases=carried),
            )
            ids.append(made.id)
    return ids


# The reports benchmark's messages


@dataclass
class PullThroughSeed:
    ids: list[uuid.UUID]  # the strategy's key messages
    mentions: int
    mention_links: int
    content_links: int


PULL_MESSAGES = 10  # a strategy's key messages in the report
MENTIONS_PER_DAY = 100


def seed_pull_through(
    raw: psycopg.Connection, ws: metrics.Workspace, strategy_id, first: date, scale: float
) -> PullThroughSeed:
    """Key messages, mentions over the history and their links, for the report."""
    rng = random.Random(21)
    vocabulary = words(rng)
    phrases = phrases_of(rng, vocabulary, PULL_MESSAGES)
    ids = create_messages(ws, strategy_id, phrases)
    days = (metrics.LAST_DAY - first).days + 1
    count = max(1_000, round(days * MENTIONS_PER_DAY * scale))
    texts, given = texts_of(rng, vocabulary, phrases, count)
    mentions = copy_mentions(raw, ws.org.id, ws.channels, texts, first, days, rng)
    # The links of the phrases put in (the matcher is measured by main, not here: the
    # pure-Python stemmer would make seeding take minutes).
    pairs = ((m, ids[g]) for m, g in zip(mentions, given, strict=True) if g is not None)
    mention_links = copy_links(raw, "mention_messages", "mention_id", ws.org.id, pairs)
    with raw.cursor() as cursor:  # one in three published items carries a message
        cursor.execute(
            "SELECT id FROM content_items WHERE organisation_id = %s AND status = 'published'"
            " ORDER BY id",
            (ws.org.id,),
        )
        items = [row[0] for row in cursor.fetchall()]
    content = ((item, ids[n % len(ids)]) for n, item in enumerate(items) if n % 3 == 0)
    content_links = copy_links(raw, "content_messages", "content_item_id", ws.org.id, content)
    return PullThroughSeed(ids, len(mentions), mention_links, content_links)


# The four grouped queries the report builds on, in raw SQL (months, UTC): posts, posts
# carrying a message, all mentions (the derived points; in this benchmark they are
# written apart from the mentions, so the shares are not meaningful, only the times),
# and mentions carrying a message.
RAW_PULL_THROUGH = (
    """
SELECT CAST(date_trunc('month', published_at AT TIME ZONE 'UTC') AS DATE), count(*)
FROM content_items WHERE organisation_id = %(org)s AND status = 'published'
AND published_at >= %(since)s AND published_at < %(until)s GROUP BY 1
""",
    """
SELECT CAST(date_trunc('month', c.published_at AT TIME ZONE 'UTC') AS DATE), l.key_message_id,
count(*) FROM content_messages AS l
JOIN content_items AS c ON c.organisation_id = l.organisation_id AND c.id = l.content_item_id
WHERE l.organisation_id = %(org)s AND l.key_message_id = ANY(%(messages)s)
AND c.status = 'published' AND c.published_at >= %(since)s AND c.published_at < %(until)s
GROUP BY 1, 2
""",
    """
SELECT CAST(date_trunc('month', day) AS DATE), metric_key, sum(value) FROM metric_points
WHERE organisation_id = %(org)s AND source = 'derived'
AND metric_key IN ('mentions', 'competitor_mentions')
AND day >= %(since_day)s AND day <= %(last)s GROUP BY 1, 2
""",
    """
SELECT CAST(date_trunc('month', m.posted_at AT TIME ZONE 'UTC') AS DATE), l.key_message_id,
m.topic, count(*), sum(m.sentiment_score) FROM mention_messages AS l
JOIN mentions AS m ON m.organisation_id = l.organisation_id AND m.id = l.mention_id
WHERE l.organisation_id = %(org)s AND l.key_message_id = ANY(%(messages)s)
AND m.topic IN ('company', 'competitor')
AND m.posted_at >= %(since)s AND m.posted_at < %(until)s GROUP BY 1, 2, 3
""",
)


def pull_through_params(org, messages: list, first: date, last: date) -> dict:
    """The raw queries' parameters: the window and the month before it."""
    before = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    return {
        "org": org,
        "messages": messages,
        "since": datetime.combine(before, clock(), tzinfo=UTC),
        "since_day": before,
        "last": last,
        "until": datetime.combine(last + timedelta(days=1), clock(), tzinfo=UTC),
    }


# The matching benchmark


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.messages", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--texts", type=int, default=TEXTS, help=f"mention texts (default {TEXTS:,})"
    )
    args = parser.parse_args(argv)
    if not 1_000 <= args.texts <= 5_000_000:
        parser.error("--texts must be from 1,000 to 5,000,000")

    started = time.perf_counter()
    with throwaway_database() as db:
        factory = Factory(db.database)
        ws = metrics.workspace(factory, db.database, "Messages")
        with ws.uow() as uow:
            strategy = create_strategy(
                uow=uow,
                draft=StrategyDraft(
                    name="Messages", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
                ),
            )
        rng = random.Random(7)
        vocabulary = words(rng)
        phrases = phrases_of(rng, vocabulary, MESSAGES)
        ids = create_messages(ws, strategy.id, phrases)
        texts, _ = texts_of(rng, vocabulary, phrases, args.texts)
        raw = psycopg.connect(psycopg_url(db.url), autocommit=True)
        try:
            mention_ids = copy_mentions(
                raw, ws.org.id, ws.channels, texts, date(2026, 1, 1), 365, rng
            )
        finally:
            raw.close()
        seeded = time.perf_counter()
        print(f"bench: {len(texts):,} mentions, {MESSAGES} messages; matching…", flush=True)

        bare = PhraseMatcher.build(dict(zip(ids, phrases, strict=True)))
        found: list = []
        bare_s = timed(lambda: found.extend(bare.find_many(texts)))
        carried = sum(len(keys) for keys in found)

        @dataclass(frozen=True)
        class Arrived:  # what link_mentions reads of a flushed mention
            id: uuid.UUID
            text: str

        arrived = [Arrived(i, t) for i, t in zip(mention_ids, texts, strict=True)]

        def arrival() -> None:
            for start in range(0, len(arrived), BATCH):
                with ws.uow() as uow:
                    matching.link_mentions(uow=uow, mentions=arrived[start : start + BATCH])
                    uow.commit()

        arrival_s = timed(arrival)
        with ws.uow() as uow:
            linked = uow.session.scalar(select(func.count()).select_from(MentionMessage))

        one = ids[0]
        single = PhraseMatcher.build({one: phrases[0]})
        single_s = timed(lambda: single.find_many(texts))
        counts: dict = {}
        with ws.uow() as uow:
            rematch_s = timed(
                lambda: counts.update(matching.rematch(uow=uow, key_message_id=one) or {})
            )
        finished = time.perf_counter()

    n = len(texts)
    print()
    print(f"Clover key-message matching benchmark — {environment(db.server_version)}")
    print(
        f"Data: {n:,} mention texts (8–30 words, ~{CARRYING:.0%} carrying a phrase), "
        f"{MESSAGES} messages × {PHRASES} phrases; {carried:,} links found by the bare "
        f"matcher, {linked:,} stored by the arrival path."
    )
    print()
    table(
        ["operation", "seconds", "texts/s", "vs bare"],
        [
            ["(a) bare find_many, 50 messages", f"{bare_s:.2f}", f"{n / bare_s:,.0f}", "1.0"],
            [
                f"(b) arrival: link_mentions, batches of {BATCH:,}",
                f"{arrival_s:.2f}",
                f"{n / arrival_s:,.0f}",
                f"{arrival_s / bare_s:.2f}",
            ],
            ["(d) bare find_many, 1 message", f"{single_s:.2f}", f"{n / single_s:,.0f}", "1.0"],
            [
                f"(c) rematch job, 1 message ({counts.get('mentions', 0):,} links)",
                f"{rematch_s:.2f}",
                f"{n / rematch_s:,.0f}",
                f"{rematch_s / single_s:.2f}",
            ],
        ],
    )
    print()
    print(
        "vs bare: (b)/(a) and (c)/(d), the same texts in the same run. Arrival adds per batch"
        " a unit of work, reading the messages' phrases, the old links' DELETE, one INSERT and"
        " the commit; the job adds reading the texts in chunks and writing the links."
    )
    print(f"Run: {finished - started:.1f} s in all (seeding {seeded - started:.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
