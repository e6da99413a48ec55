"""`speechminer serve`: the database in Datasette (pipeline/serve.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from .cli_base import err_console, main
from .db import DEFAULT_DB


@main.command("serve")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, envvar="SPEECHMINER_DB",
              type=click.Path(dir_okay=False), help="SQLite database file.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (the default is this machine only; 0.0.0.0 exposes it to the network).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--no-views", is_flag=True, help="Do not (re)create the helper views (task_assignments, …).")
def serve_cmd(db_path: str, host: str, port: int, no_views: bool) -> None:
    """Explore the database in a web browser (Datasette).

    Canned queries: tasks assigned to a unit (alias aware), targets of a speech,
    metric history of an indicator, diff two speeches, full-text search.

    \b
    Example:
      speechminer serve                     # http://127.0.0.1:8001/
      speechminer serve --db outputs/speeches.db --port 8080
    """
    from . import serve as web

    if not web.have_datasette():
        err_console.print(f"[red]error[/red] {escape(web.INSTALL_HINT)}", highlight=False)
        sys.exit(2)
    if not Path(db_path).exists():
        err_console.print(f"[red]error[/red] no database at {db_path}: run `speechminer ingest PATH…` first "
                          "(or pass --db)", highlight=False)
        sys.exit(2)
    from .store import Store

    from .db import NotSpeechminerDatabase, SchemaOutOfDate

    try:  # read-only: a file that is not a speechminer database of this schema is refused untouched
        Store(db_path, readonly=True, frames=False).close()
    except Exception as err:
        why = str(err) if isinstance(err, (NotSpeechminerDatabase, SchemaOutOfDate)) else f"cannot serve {db_path}: {err}"
        err_console.print(f"[red]error[/red] {escape(why)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    name = Path(db_path).stem
    err_console.print(f"serving {db_path} at http://{host}:{port}/{name} (Ctrl-C to stop)", highlight=False)
    web.serve(db_path, host=host, port=port, views=not no_views)
