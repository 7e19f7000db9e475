"""`genlab studio`: the local web page over a folder of runs."""

from __future__ import annotations

from pathlib import Path

import typer

from genlab.cli.app import app, console

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def studio(
    runs: Path = typer.Argument(Path("runs"), help="The folder your run folders are in (searched 3 levels deep)."),
    port: int = typer.Option(8765, "--port", help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on; anything but loopback exposes your "
                             "runs to the network (a warning is printed)."),
) -> None:
    """Serve one page to look at, compare and use every run in RUNS: the runs list with each one's headline
    figure, a run's curves, evaluation tables and pictures, live samples. The JSON API is at /api/ and documented
    at /docs. Ctrl-C stops it."""
    from genlab.errors import UserError

    try:
        import uvicorn

        from genlab.apps.studio.server import create_app
    except ImportError:
        raise UserError("genlab studio needs its extra: pip install 'genlab[studio]' (fastapi, uvicorn).") from None
    server = create_app(runs)
    if host not in LOOPBACK:
        console.print(f"warning: serving on {host}: anyone who can reach this machine can see and use your runs.")
    console.print(f"genlab studio for {runs.resolve()} at http://{host}:{port}/ (API docs at /docs); Ctrl-C stops it")
    uvicorn.run(server, host=host, port=port, log_level="warning")
