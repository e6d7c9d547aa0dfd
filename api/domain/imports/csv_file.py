"""Reading an uploaded CSV, whatever its rows hold: lines, the header's names, records. No database.

The file is read as UTF-8 (a byte order mark is skipped) one physical line at a
time, so memory stays flat however large the file is: a record longer than
``LINE_LIMIT`` characters is refused as a row, never read whole. Rows are
numbered by the CSV line they start on (the header is line 1).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from api.domain.errors import RuleViolation

LINE_LIMIT = 65_536  # characters in one record (a line, or the lines of a quoted field)
LINE_BYTES = 4 * LINE_LIMIT  # a UTF-8 character is at most 4 bytes
# OWASP's rule for CSV injection: a spreadsheet runs a cell that starts with one of
# these as a formula. Exports write such a cell after a quote; imports remove it again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Shown in messages, so that one absurd cell cannot make an absurd message.
SHOWN_CHARACTERS = 60


class RecordTooLong(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is longer than {LINE_LIMIT} characters")
        self.line = line


class Lines:
    """A binary file's lines as text for ``csv.reader``, with line numbers and byte offsets.

    ``mark()`` before each record; afterwards ``start`` is the line it began on and
    ``offset`` the byte where the next record begins (a point to resume from).
    Raising from ``__next__`` (not a generator) leaves this iterator usable, and
    ``csv.reader`` starts a fresh record on its next call.
    """

    def __init__(self, raw: BinaryIO, *, offset: int = 0, line: int = 0) -> None:
        raw.seek(offset)
        if offset == 0 and raw.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            offset = len(codecs.BOM_UTF8)
        raw.seek(offset)
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.offset = offset
        self.number = line
        self.start: int | None = None
        self._record_size = 0

    def __iter__(self) -> Lines:
        return self

    def mark(self) -> None:
        self.start = None
        self._record_size = 0

    def _readline(self, limit: int) -> bytes:
        data = self.raw.readline(limit)
        self.offset += len(data)
        return data

    def __next__(self) -> str:
        data = self._readline(LINE_BYTES)
        if not data:
            raise StopIteration
        self.number += 1
        if self.start is None:
            self.start = self.number
        parts = [self.decoder.decode(data)]
        self._record_size += len(parts[-1])
        while not data.endswith(b"\n") and self._record_size <= LINE_LIMIT:
            data = self._readline(LINE_BYTES)
            if not data:
                break
            parts.append(self.decoder.decode(data))
            self._record_size += len(parts[-1])
        if self._record_size > LINE_LIMIT:
            while data and not data.endswith(b"\n"):  # skip the rest of the line unread
                data = self._readline(LINE_BYTES)
            self.decoder.reset()
            raise RecordTooLong(self.start)
        return "".join(parts)


@dataclass(frozen=True)
class Header:
    columns: dict[str, int]  # column name → index
    offset: int  # where the first data row begins
    line: int  # the header's last line


def read_column_names(raw: BinaryIO, delimiter: str) -> tuple[list[str], Lines]:
    """The header row's names (stripped), and the lines positioned after it."""

    lines = Lines(raw)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        names = next(reader)
    except StopIteration:
        raise RuleViolation(
            "the file is empty: its first line must name the columns",
            errors={"file": ["The file is empty."]},
        ) from None
    except UnicodeDecodeError:
        raise RuleViolation(
            "the header row is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)",
            errors={"file": ["Not UTF-8 text."]},
        ) from None
    except (RecordTooLong, csv.Error) as error:
        raise RuleViolation(
            f"the header row cannot be read: {error}", errors={"file": [str(error)]}
        ) from None
    return [name.strip() for name in names], lines


def records(lines: Lines, delimiter: str) -> Iterator[tuple[int, list[str], str | None]]:
    """Each non-blank record after ``lines``' position: (line, cells, None), or
    (line, [], why it cannot be read)."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.mark()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except RecordTooLong as error:
            yield error.line, [], f"the line is longer than {LINE_LIMIT} characters"
            continue
        except csv.Error as error:
            yield lines.start or lines.number, [], f"not valid CSV: {error}"
            continue
        if any(cell.strip() for cell in cells):
            yield lines.start or lines.number, cells, None


def encoding_problem(raw: BinaryIO, chunk_size: int = 1 << 20) -> str | None:
    """Why the file is not UTF-8, naming the line; None when it is all UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines_before = 0
    raw.seek(0)
    while True:
        chunk = raw.read(chunk_size)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            # error.object is this chunk plus at most 3 undecoded bytes, without a newline.
            line = lines_before + error.object.count(b"\n", 0, error.start) + 1
            return (
                f"line {line} is not UTF-8 text (byte 0x{error.object[error.start]:02x}); "
                "save the file as UTF-8 (CSV UTF-8) and upload it again. Nothing was imported."
            )
        if not chunk:
            return None
        lines_before += chunk.count(b"\n")


def shown(text: str) -> str:
    if len(text) > SHOWN_CHARACTERS:
        text = text[:SHOWN_CHARACTERS] + "…"
    return repr(text)
