"""The API's commands of `clover`: database, organisations, the demo, serving and the spec.

`workers.cli` makes the `clover` command of these and `clover worker`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from alembic import command
from werkzeug.serving import run_simple

from api import create_app
from api.background import Sweeper
from api.config import Settings, SettingsError
from api.crypto import cipher_for
from api.db import database_for
from api.demo import seed_demo
from api.domain.errors import DomainError
from api.domain.signup import SignupDraft, signup
from api.domain.uow import UnitOfWork
from api.jobs import dispatcher
from api.migrate import alembic_config, downgrade, upgrade
from api.spec_diff import allowed, breaking_changes, major

SPEC_PATH = Path("openapi/openapi.json")
# The last released document: what clients are written against (see api/spec_diff.py).
RELEASED_PATH = Path("openapi/released.json")


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(f"invalid settings: {error}") from None


@click.group()
def main() -> None:
    """Clover: social media marketing as a business process."""


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    upgrade(load_settings(), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION."""
    downgrade(load_settings(), revision)


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Draft a migration from the models (check it by hand before committing)."""
    command.revision(alembic_config(load_settings()), message=message, autogenerate=True)


def _unit_of_work(settings: Settings):
    return UnitOfWork(database_for(settings).session(), dispatcher(settings))


def _print_key(title: str, organisation, issued) -> None:
    click.echo(title)
    click.echo(f"  organisation: {organisation.name} ({organisation.id})")
    click.echo(f"  API key (shown once): {issued.token}")


@main.command("create-organisation")
@click.option("--name", required=True, help="Organisation name")
@click.option("--owner-email", required=True)
@click.option("--owner-name", required=True)
def create_organisation(name: str, owner_email: str, owner_name: str) -> None:
    """Create an organisation and its owner; print an owner API key."""
    settings = load_settings()
    with _unit_of_work(settings) as uow:
        try:
            result = signup(
                uow=uow,
                draft=SignupDraft(
                    email=owner_email, name=owner_name, password=None, organisation_name=name
                ),
            )
        except DomainError as error:
            raise click.ClickException(error.detail) from None
    _print_key("Created.", result.organisation, result.issued)


@main.command()
def demo() -> None:
    """Seed the demo organisation (once) and print a fresh owner API key."""
    settings = load_settings()
    with _unit_of_work(settings) as uow:
        organisation, issued, created = seed_demo(uow, cipher=cipher_for(settings))
    _print_key(
        "Demo organisation created." if created else "Demo organisation exists; new key issued.",
        organisation,
        issued,
    )
    click.echo(f'  try: curl -H "Authorization: Bearer {issued.token}" http://127.0.0.1:8000/v1/me')


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the API (development server; use gunicorn in production).

    Without REDIS_URL (the embedded default) it also publishes scheduled content
    items: a thread runs the publishing sweep every minute.
    """
    settings = load_settings()
    app = create_app(settings)
    if not settings.redis_url:
        Sweeper(settings).start()
    click.echo(f"Clover API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def build_spec() -> str:
    app = create_app(Settings.build(database_url="sqlite:///:memory:", environment="test"))
    spec = app.extensions["clover.api"].document()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


@main.command()
@click.option("--output", type=click.Path(path_type=Path), default=SPEC_PATH)
@click.option("--check", is_flag=True, help="Fail if the file differs from the code")
@click.option(
    "--released",
    type=click.Path(path_type=Path),
    default=RELEASED_PATH,
    help="The last released document, which --check compares the code's against",
)
@click.option("--release", is_flag=True, help="Also make the document the released one")
def spec(output: Path, check: bool, released: Path, release: bool) -> None:
    """Write the OpenAPI document generated from the code (or check it has not drifted).

    With --check it also lists the changes that would break a client of the released
    document, and fails on any unless the major version number has grown.
    """
    document = build_spec()
    if check:
        current = output.read_text() if output.exists() else ""
        if current != document:
            click.echo(f"{output} is out of date with the code: run `make spec` and commit.")
            sys.exit(1)
        click.echo(f"{output} matches the code.")
        _check_compatible(json.loads(document), released)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    click.echo(f"wrote {output}")
    if release:
        released.write_text(document)
        click.echo(f"wrote {released}")


def _check_compatible(document: dict, released: Path) -> None:
    if not released.exists():
        click.echo(f"{released} is missing: release a document with `clover spec --release`.")
        sys.exit(1)
    baseline = json.loads(released.read_text())
    changes = breaking_changes(baseline, document)
    versions = f"{baseline['info']['version']} → {document['info']['version']}"
    if not changes:
        click.echo(f"No breaking change since the released document ({versions}).")
        return
    click.echo(f"Breaking changes since the released document ({versions}):")
    for change in changes:
        click.echo(f"  - {change}")
    if allowed(baseline, document):
        click.echo(f"Allowed: the major version grew to {major(document)}.")
        return
    click.echo(
        "Keep the change compatible, or raise the major number of API_VERSION and "
        "release the document (`clover spec --release`) when the new version ships."
    )
    sys.exit(1)
