"""Citus readiness: what today's schema would need to be distributed by ``organisation_id``.

Run with ``.venv/bin/python -m bench.citus`` (``make bench`` runs it at the end of
``bench.run``). Like the benchmarks it creates a throwaway PostgreSQL database
``bench_<random>`` on the server named by ``BENCH_DATABASE_URL``, migrates it to
head, reads the live schema from ``pg_catalog`` (not the models: what the migrations
built is what Citus would get) and prints, for a move to Citus with every tenant
table distributed by ``organisation_id`` and colocated:

- the distributed candidates (tables with ``organisation_id``, and the tenant table
  itself, distributed by its id) and the tables without it: reference tables (copied to
  every node, because distributed tables point at them) or local tables (on the
  coordinator only), and why;
- primary keys, unique constraints and unique indexes of distributed candidates that do
  not include the distribution column (Citus refuses them);
- foreign keys that Citus refuses: between distributed tables without the distribution
  column on both sides, from a distributed table to a table that cannot be a reference
  table, and from a table without the column into a distributed one;
- global lookups: the unique keys besides the primary key that find a row, and so a
  tenant, from outside its tenant (a token, a prefix, a slug): on Citus each needs a
  lookup table or becomes a query of every shard.

docs/scaling.md quotes this output. The classification is pure functions over the
catalog rows (``classify``), so tests run it on the test database's schema.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from bench.common import psycopg_url, throwaway_database

DISTRIBUTION_COLUMN = "organisation_id"
# Bookkeeping of the migration tool: not the product's data.
IGNORED = frozenset({"alembic_version"})

COLUMNS_SQL = """
SELECT c.relname, a.attname, a.attnotnull
FROM pg_attribute AS a
JOIN pg_class AS c ON c.oid = a.attrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""

# Every unique index, whether a constraint stands behind it (primary key, unique) or not;
# key columns in index order (0 in indkey is an expression: shown by its definition).
KEYS_SQL = """
SELECT c.relname, i.relname, coalesce(con.contype::text, 'i'),
       ARRAY(SELECT coalesce(
                 a.attname, '(' || pg_get_indexdef(x.indexrelid, k.ord::int, true) || ')')
             FROM unnest(x.indkey[0:x.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute AS a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       pg_get_expr(x.indpred, x.indrelid)
FROM pg_index AS x
JOIN pg_class AS i ON i.oid = x.indexrelid
JOIN pg_class AS c ON c.oid = x.indrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint AS con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u')
WHERE n.nspname = current_schema() AND x.indisunique
ORDER BY c.relname, i.relname
"""

FOREIGN_KEYS_SQL = """
SELECT c.relname, con.conname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       f.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord)
FROM pg_constraint AS con
JOIN pg_class AS c ON c.oid = con.conrelid
JOIN pg_class AS f ON f.oid = con.confrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND con.contype = 'f'
ORDER BY c.relname, con.conname
"""

KINDS = {"p": "primary key", "u": "unique", "i": "unique index"}


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    not_null: bool


@dataclass(frozen=True)
class Key:
    """A unique index: a primary key, a unique constraint, or a unique index alone."""

    table: str
    name: str
    kind: str  # "primary key", "unique" or "unique index"
    columns: tuple[str, ...]
    predicate: str | None = None  # a partial index's WHERE

    def describe(self) -> str:
        where = f" WHERE {self.predicate}" if self.predicate else ""
        return f"{self.table} {self.kind} ({', '.join(self.columns)}){where}"


@dataclass(frozen=True)
class ForeignKey:
    table: str
    name: str
    columns: tuple[str, ...]
    referenced: str
    referenced_columns: tuple[str, ...]

    def describe(self) -> str:
        return (
            f"{self.table} ({', '.join(self.columns)}) -> "
            f"{self.referenced} ({', '.join(self.referenced_columns)})"
        )


@dataclass(frozen=True)
class Catalog:
    columns: tuple[Column, ...]
    keys: tuple[Key, ...]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def tables(self) -> list[str]:
        return sorted({c.table for c in self.columns} - IGNORED)


@dataclass
class Readiness:
    tenant_table: str | None  # distributed by its own id, which the others call organisation_id
    distributed: dict[str, str]  # table -> its distribution column
    reference: dict[str, str]  # table -> why
    local: dict[str, str]  # table -> why
    nullable: list[str]  # distributed tables whose organisation_id may be NULL
    keys: list[Key]  # unique keys of distributed tables without their distribution column
    foreign_keys: list[tuple[ForeignKey, str]]  # (foreign key, why Citus refuses it)
    scoped: list[Key]  # the keys above unique within a parent row: organisation_id added free
    lookups: list[Key]  # unique keys on a value of their own: they find a tenant from outside
    notes: list[str] = field(default_factory=list)
    # Tables whose primary key has a unique twin with the distribution column added: that
    # twin (kept for the composite foreign keys) can become the primary key as it is.
    twin_keys: set[str] = field(default_factory=set)


def read_catalog(connection: psycopg.Connection) -> Catalog:
    """The live schema's columns, unique keys and foreign keys (``current_schema()``)."""
    with connection.cursor() as cursor:
        columns = tuple(Column(*row) for row in cursor.execute(COLUMNS_SQL).fetchall())
        keys = tuple(
            Key(table, name, KINDS[kind], tuple(cols), predicate)
            for table, name, kind, cols, predicate in cursor.execute(KEYS_SQL).fetchall()
        )
        foreign_keys = tuple(
            ForeignKey(table, name, tuple(cols), referenced, tuple(ref_cols))
            for table, name, cols, referenced, ref_cols in cursor.execute(
                FOREIGN_KEYS_SQL
            ).fetchall()
        )
    return Catalog(columns, keys, foreign_keys)


def tenant_table(catalog: Catalog, column: str = DISTRIBUTION_COLUMN) -> tuple[str, str] | None:
    """The table (and its column) that ``column`` alone points at: the tenants."""
    targets = {
        (fk.referenced, fk.referenced_columns[0])
        for fk in catalog.foreign_keys
        if fk.columns == (column,)
    }
    return targets.pop() if len(targets) == 1 else None


def distribution_columns(catalog: Catalog, column: str = DISTRIBUTION_COLUMN) -> dict[str, str]:
    """Each distributed candidate and the column it would be distributed by."""
    found = {c.table: column for c in catalog.columns if c.name == column}
    tenants = tenant_table(catalog, column)
    if tenants is not None and tenants[0] not in found:
        found[tenants[0]] = tenants[1]
    return {table: found[table] for table in sorted(found) if table not in IGNORED}


def colocated(fk: ForeignKey, distributed: dict[str, str]) -> bool:
    """A foreign key between distributed tables that Citus keeps: the distribution column
    of each side at the same place, so both rows live on one shard."""
    mine, theirs = distributed[fk.table], distributed[fk.referenced]
    return any(
        a == mine and b == theirs for a, b in zip(fk.columns, fk.referenced_columns, strict=True)
    )


def _closure(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        table = todo.pop()
        if table not in seen:
            seen.add(table)
            todo.extend(edges.get(table, ()))
    return seen


def classify(catalog: Catalog, column: str = DISTRIBUTION_COLUMN) -> Readiness:
    """What a move to Citus distributed by ``column`` would need, from the catalog alone."""
    distributed = distribution_columns(catalog, column)
    tenants = tenant_table(catalog, column)
    others = [t for t in catalog.tables if t not in distributed]
    fks = [fk for fk in catalog.foreign_keys if fk.table not in IGNORED]

    # A table without the column that points into a distributed one cannot be copied to
    # every node (a reference table may not refer to a distributed table).
    into_distributed = {
        fk.table for fk in fks if fk.table in others and fk.referenced in distributed
    }
    points_at: dict[str, set[str]] = {}
    for fk in fks:
        if fk.referenced in others:
            points_at.setdefault(fk.table, set()).add(fk.referenced)
    # Distributed tables may point at reference tables, and those at other reference tables.
    wanted = _closure(
        (fk.referenced for fk in fks if fk.table in distributed and fk.referenced in others),
        points_at,
    )
    reference, local = {}, {}
    for table in others:
        referrers = sorted(
            {fk.table for fk in fks if fk.referenced == table and fk.table in distributed}
        )
        if table in into_distributed:
            local[table] = (
                f"has no {column} but refers to a distributed table: it needs the column "
                "(and so becomes distributed) or loses that foreign key"
            )
        elif table in wanted:
            reference[table] = (
                "distributed tables refer to it ("
                + ", ".join(referrers)
                + "): copied to every node"
            )
        else:
            local[table] = "nothing distributed refers to it: stays on the coordinator"

    keys = [
        k for k in catalog.keys if k.table in distributed and distributed[k.table] not in k.columns
    ]
    problems: list[tuple[ForeignKey, str]] = []
    for fk in fks:
        if fk.table in distributed and fk.referenced in distributed:
            if not colocated(fk, distributed):
                problems.append((fk, f"between distributed tables without {column} on both sides"))
        elif fk.table in distributed and fk.referenced not in reference:
            problems.append(
                (fk, "from a distributed table to a table that is not a reference table")
            )
        elif fk.table in others and fk.referenced in distributed:
            problems.append((fk, f"into a distributed table from a table without {column}"))
    twins = {
        k.table
        for k in keys
        if k.kind == "primary key"
        and any(
            o.table == k.table and set(o.columns) == {*k.columns, distributed[k.table]}
            for o in catalog.keys
        )
    }
    lookups = global_lookups(catalog, distributed=distributed, keys=keys)
    nullable = sorted(
        c.table
        for c in catalog.columns
        if c.name == column and not c.not_null and c.table in distributed
    )
    notes = []
    if tenants is not None:
        notes.append(
            f"{tenants[0]} is the tenant table: distributed by its {tenants[1]}, which the "
            f"others call {column}, and colocated with them"
        )
    return Readiness(
        tenant_table=tenants[0] if tenants else None,
        distributed=distributed,
        reference=reference,
        local=local,
        nullable=nullable,
        keys=keys,
        foreign_keys=problems,
        scoped=[k for k in keys if k.kind != "primary key" and k not in lookups],
        lookups=lookups,
        notes=notes,
        twin_keys=twins,
    )


def global_lookups(catalog: Catalog, *, distributed: dict[str, str], keys: list[Key]) -> list[Key]:
    """Unique keys, besides primary keys, on a value of the row's own (a prefix, a token
    hash, a slug) rather than within a parent row it refers to: what a caller from
    outside any tenant is found by. ``keys`` are the distributed tables' keys without
    their distribution column; every other table's unique keys count too."""
    referring = {(fk.table, c) for fk in catalog.foreign_keys for c in fk.columns}
    others = [k for k in catalog.keys if k.table not in distributed and k.table not in IGNORED]
    return [
        k
        for k in keys + others
        if k.kind != "primary key" and not any((k.table, c) in referring for c in k.columns)
    ]


def _grouped(keys: list[Key], twins: set[str]) -> list[str]:
    """Primary keys that differ only by table, under one line per column list."""
    by_columns: dict[tuple[str, ...], list[str]] = {}
    for key in keys:
        marked = f"{key.table}*" if key.table in twins else key.table
        by_columns.setdefault(key.columns, []).append(marked)
    lines = []
    for columns, tables in sorted(by_columns.items(), key=lambda item: -len(item[1])):
        if len(tables) == 1:
            lines.append(f"  {tables[0]} ({', '.join(columns)})")
        else:
            lines.append(f"  ({', '.join(columns)}) in {len(tables)} tables:")
            lines.extend(f"  {line}" for line in _wrapped(tables))
    return lines


def report(readiness: Readiness, column: str = DISTRIBUTION_COLUMN) -> list[str]:
    """The printed lines, in the order docs/scaling.md quotes them."""
    lines = [f"Citus readiness, distributed by {column}", ""]
    lines.append(f"Distributed candidates, colocated ({len(readiness.distributed)}):")
    lines.extend(_wrapped(sorted(readiness.distributed)))
    lines.extend(f"  note: {note}" for note in readiness.notes)
    lines.append("")
    lines.append(f"Reference tables ({len(readiness.reference)}):")
    lines.extend(f"  {table}: {why}" for table, why in readiness.reference.items())
    lines.append(f"Local tables ({len(readiness.local)}):")
    lines.extend(f"  {table}: {why}" for table, why in readiness.local.items())
    lines.append("")
    lines.append(f"Distributed tables whose {column} may be NULL ({len(readiness.nullable)}):")
    lines.extend(
        f"  {table}: Citus refuses a row without its distribution column"
        for table in readiness.nullable
    )
    lines.append("")
    primary = [k for k in readiness.keys if k.kind == "primary key"]
    lines.append(f"Primary keys without the distribution column ({len(primary)}):")
    lines.append(
        f"  (* {len(readiness.twin_keys)}: a unique key with {column} added exists already)"
    )
    lines.extend(_grouped(primary, readiness.twin_keys))
    lines.append(
        f"Unique within a row they refer to ({len(readiness.scoped)}): {column} added to "
        "the key, free (the row they refer to has one organisation)"
    )
    lines.extend(f"  {key.describe()}" for key in readiness.scoped)
    lines.append("")
    lines.append(f"Foreign keys Citus refuses ({len(readiness.foreign_keys)}):")
    lines.extend(f"  {fk.describe()}: {why}" for fk, why in readiness.foreign_keys)
    lines.append("")
    lines.append(
        f"Global lookups ({len(readiness.lookups)}): unique on a value of their own, they "
        "find a row, and so a tenant, from outside it"
    )
    for key in readiness.lookups:
        if key.table in readiness.distributed:
            where = f"distributed: a lookup table (key -> {column}) or a query of every shard"
        else:
            where = "not distributed: answered on one node, then the tenant's shard"
        lines.append(f"  {key.describe()}: {where}")
    return lines


def _wrapped(names: list[str], width: int = 88) -> list[str]:
    lines, line = [], " "
    for name in names:
        if len(line) + len(name) + 2 > width:
            lines.append(line.rstrip(","))
            line = " "
        line += f" {name},"
    if line.strip():
        lines.append(line.rstrip(","))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.citus", description=__doc__.split("\n")[0]
    )
    parser.parse_args(argv)
    started = time.perf_counter()
    with throwaway_database() as db:
        with psycopg.connect(psycopg_url(db.url)) as connection:
            catalog = read_catalog(connection)
        print()
        print("\n".join(report(classify(catalog))))
    print(f"Run: {time.perf_counter() - started:.1f} s (migrating included).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
