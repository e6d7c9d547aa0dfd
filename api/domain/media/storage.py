"""Where the bytes of media live: one small interface, so an object store can replace the disk.

A storage key names a file; keys are made here (``storage_key``), under the
organisation's folder, and never come from the client's file name.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

COPY_BUFFER = 1 << 20
KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


class MediaStorage(Protocol):
    def save(self, key: str, content: BinaryIO) -> None:
        """Store ``content`` (read to its end) under ``key``: all of it, or nothing."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, to read (the caller closes the stream)."""

    def delete(self, key: str) -> None:
        """Remove the bytes of ``key``; a key with none is already removed."""

    def location(self, key: str) -> str:
        """Where the bytes are: a file path on disk, a URL in an object store."""


def storage_key(organisation_id: uuid.UUID, media_id: uuid.UUID) -> str:
    return f"{organisation_id}/{media_id}"


class DiskStorage:
    """Media files in a directory shared by API and worker processes, a folder per organisation."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, key: str, content: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside its place, then renamed: a reader never sees half a file.
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("xb") as stored:
                shutil.copyfileobj(content, stored, COPY_BUFFER)
                stored.flush()
                os.fsync(stored.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def location(self, key: str) -> str:
        return str(self._path(key))

    def _path(self, key: str) -> Path:
        # Keys are ours, but a path outside the root must stay impossible, whatever a key holds.
        if not KEY.match(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root.resolve() / key
