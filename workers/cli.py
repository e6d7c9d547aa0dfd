"""The `clover` command: the API's commands (``api.cli``) and `clover worker`.

It lives here, beside the workers, because the API never imports the workers.
"""

from __future__ import annotations

import click

from api import cli as api_cli
from api import logs
from api.jobs import QUEUES, dispatcher
from workers import runtime
from workers.worker import run


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty")
@click.option("--queue", "queues", multiple=True, help="Queues to listen on (default: all)")
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker, with its scheduler, on REDIS_URL (it outlives Redis outages)."""
    settings = api_cli.load_settings()
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed")
    runtime.configure(settings)
    # RQ's lines and every library's go through the JSON formatter too.
    logs.configure_process(settings.log_level)
    run(dispatcher(settings), queues or QUEUES, burst=burst)


main = click.Group(
    name="clover",
    help=api_cli.main.help,
    commands={**api_cli.main.commands, "worker": worker},
)

if __name__ == "__main__":
    main()
