"""Generate the Python client and the TypeScript types from openapi/openapi.json.

`make sdk` runs this; so do the SDK end-to-end tests. Output goes to build/sdk/, which
is not committed: it is derived from the committed spec, so it cannot drift from it.
Each output carries a stamp (a hash of its inputs: the spec, the generator's settings
and version) and is rebuilt only when that changes, so repeated runs cost nothing.
The installable clients go to build/sdk/dist/, both versioned as the API (the spec's
``info.version``): the Python wheel ``clover_client-<version>-py3-none-any.whl`` and the
npm package ``clover-client-<version>.tgz`` (the types, for openapi-fetch).
Nothing is downloaded at run time except `npm ci` from the npm registry (or npm's
cache), of the versions pinned in sdk/typescript/package-lock.json.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sdk.wheel import build_wheel

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi" / "openapi.json"
BUILD = ROOT / "build" / "sdk"
DIST = BUILD / "dist"
PYTHON_CONFIG = ROOT / "sdk" / "python" / "config.yaml"
TS_TOOLS = ROOT / "sdk" / "typescript"
STAMP = ".clover-stamp"
PYTHON_PACKAGE = "clover_client"
NPM_PACKAGE = "clover-client"
NODE_HELP = (
    "node (>= 20) and npm are needed for the TypeScript SDK. Install them, e.g. "
    "`apt-get install nodejs npm` (Debian/Ubuntu), `brew install node` (macOS) or from "
    "https://nodejs.org/, then run `make sdk` again."
)


class SdkError(RuntimeError):
    """A generation step failed; the message says which and why."""


_held = 0  # how deep this process is inside _one_builder (it locks once)


def _one_builder(build):
    """Runs ``build`` while no other process builds into build/sdk/: parallel test workers
    (or two `make sdk`) would otherwise replace a folder another is reading or writing. The
    second one waits, then finds the output fresh."""

    @functools.wraps(build)
    def locked(*args, **kwargs):
        global _held
        with contextlib.ExitStack() as stack:
            if not _held:
                BUILD.mkdir(parents=True, exist_ok=True)
                lock = stack.enter_context((BUILD / ".lock").open("w"))
                fcntl.flock(lock, fcntl.LOCK_EX)
            _held += 1
            try:
                return build(*args, **kwargs)
            finally:
                _held -= 1

    return locked


def _digest(*parts: bytes | str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def _fresh(folder: Path, key: str) -> bool:
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text() == key


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise SdkError(
            f"`{' '.join(map(str, args))}` failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def _replace(folder: Path, built: Path, key: str) -> None:
    """Swap a completely built output in, so a failed run never leaves half of one."""
    (built / STAMP).write_text(key)
    if folder.exists():
        shutil.rmtree(folder)
    built.rename(folder)


@_one_builder
def python_client(spec: Path = SPEC, out: Path = BUILD / "python") -> Path:
    """The generated Python client project (import it from ``out``); rebuilt if stale."""
    version = importlib.metadata.version("openapi-python-client")
    key = _digest(spec.read_bytes(), PYTHON_CONFIG.read_bytes(), version, "meta=uv")
    if _fresh(out, key):
        return out
    building = out.with_name(f".{out.name}-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent  # its post hooks run this virtualenv's ruff
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        _run(
            [
                bin_dir / "openapi-python-client",
                "generate",
                "--path",
                spec,
                "--output-path",
                building,
                "--config",
                PYTHON_CONFIG,
                "--meta",
                "uv",  # a PEP 621 [project] table, which python_wheel() reads
                "--overwrite",
            ],
            cwd=ROOT,
            env=env,
        )
        if not (building / PYTHON_PACKAGE / "client.py").is_file():
            raise SdkError(f"openapi-python-client wrote no {PYTHON_PACKAGE} package")
        _replace(out, building, key)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return out


@_one_builder
def python_wheel(dist: Path = DIST) -> Path:
    """The generated client as a wheel in ``dist`` (clover_client-<version>-py3-none-any.whl)."""
    return build_wheel(python_client(), PYTHON_PACKAGE, dist)


def node_tools() -> tuple[str, str]:
    """Paths of node and npm, or SdkError saying how to install them."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise SdkError(NODE_HELP)
    return node, npm


@_one_builder
def npm_ci(tools: Path = TS_TOOLS) -> Path:
    """`npm ci` of the pinned tools, skipped while node_modules matches the lock file."""
    _, npm = node_tools()
    modules = tools / "node_modules"
    key = _digest((tools / "package-lock.json").read_bytes())
    if not _fresh(modules, key):
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=tools)
        (modules / STAMP).write_text(key)
    return modules


@_one_builder
def typescript_types(spec: Path = SPEC, out: Path = BUILD / "typescript") -> Path:
    """schema.d.ts (openapi-typescript) in a small package; rebuilt if stale."""
    node, _ = node_tools()
    modules = npm_ci()
    lock = (TS_TOOLS / "package-lock.json").read_bytes()
    key = _digest(spec.read_bytes(), lock)
    if _fresh(out, key):
        return out
    building = out.with_name(f".{out.name}-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        cli = modules / "openapi-typescript" / "bin" / "cli.js"
        _run([node, cli, spec, "--output", building / "schema.d.ts"], cwd=ROOT)
        fetch_version = json.loads(lock)["packages"]["node_modules/openapi-fetch"]["version"]
        package = {
            "name": NPM_PACKAGE,
            "version": json.loads(spec.read_bytes())["info"]["version"],
            "description": "Types of the Clover API (openapi-typescript), for openapi-fetch",
            "types": "schema.d.ts",
            "files": ["schema.d.ts"],
            "peerDependencies": {"openapi-fetch": fetch_version},
        }
        (building / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        _replace(out, building, key)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return out


@_one_builder
def npm_tarball(dist: Path = DIST) -> Path:
    """`npm pack` of the types' package into ``dist`` (clover-client-<version>.tgz)."""
    _, npm = node_tools()
    package = typescript_types()
    version = json.loads((package / "package.json").read_text())["version"]
    dist.mkdir(parents=True, exist_ok=True)
    _run([npm, "pack", "--pack-destination", dist, "--loglevel=error"], cwd=package)
    tarball = dist / f"{NPM_PACKAGE}-{version}.tgz"
    if not tarball.is_file():
        raise SdkError(f"npm pack wrote no {tarball.name}")
    return tarball


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="store_true", help="only the Python client")
    parser.add_argument("--typescript", action="store_true", help="only the TypeScript types")
    args = parser.parse_args(argv)
    both = not (args.python or args.typescript)
    try:
        if both or args.python:
            print(f"Python client:    {python_client().relative_to(ROOT)}")
            print(f"Python wheel:     {python_wheel().relative_to(ROOT)}")
        if both or args.typescript:
            print(f"TypeScript types: {typescript_types().relative_to(ROOT)}")
            print(f"npm package:      {npm_tarball().relative_to(ROOT)}")
    except SdkError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
