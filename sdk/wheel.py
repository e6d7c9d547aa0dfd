"""The wheel (PEP 427) of the generated Python client, from its pyproject's ``[project]``.

Why by hand: the wheel must be built offline, and the project's environment holds no
build backend that can (setuptools here predates its own ``bdist_wheel``, the client's
declared ``uv_build`` is not installed, and a build in isolation downloads one). A pure
Python wheel is a zip of the package plus three text files, specified by PEP 427 and
the core metadata spec; pip checks the result when it installs it (the SDK test does).
The archive is reproducible: sorted entries, fixed timestamps.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from pathlib import Path

TAG = "py3-none-any"
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def _normalized(name: str) -> str:
    """The distribution name as wheel file names spell it (PEP 427, PEP 503)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def metadata(project: dict, readme: str | None) -> str:
    """Core metadata 2.1 of a ``[project]`` table (the fields the generator writes)."""
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in project.get("dependencies", []))
    if readme is None:
        return "\n".join(lines) + "\n"
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme


def build_wheel(source: Path, package: str, dist: Path) -> Path:
    """``dist/<name>-<version>-py3-none-any.whl`` of ``source/package``; returns its path."""
    project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
    name, version = _normalized(project["name"]), project["version"]
    info = f"{name}-{version}.dist-info"
    readme_path = source / "README.md"
    readme = readme_path.read_text() if readme_path.is_file() else None

    entries: list[tuple[str, bytes]] = [
        (path.relative_to(source).as_posix(), path.read_bytes())
        for path in sorted((source / package).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    if not entries:
        raise ValueError(f"{source / package} holds no files")
    entries.append((f"{info}/METADATA", metadata(project, readme).encode()))
    wheel = f"Wheel-Version: 1.0\nGenerator: clover sdk\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    entries.append((f"{info}/WHEEL", wheel.encode()))
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))

    dist.mkdir(parents=True, exist_ok=True)
    target = dist / f"{name}-{version}-{TAG}.whl"
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            entry = zipfile.ZipInfo(path, date_time=EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    partial.replace(target)
    return target
