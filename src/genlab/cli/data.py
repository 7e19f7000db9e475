"""`genlab datasets`: what data is built in."""

from __future__ import annotations



from genlab.cli.app import app, console
from rich.table import Table


@app.command()
def datasets() -> None:
    """List the built-in datasets: shape, levels, labels and size."""
    from genlab.data import BUILTINS

    table = Table(title="Built-in datasets (or pass a folder of images, a .npy or a .npz)")
    for col in ("name", "shape", "levels", "classes", "examples"):
        table.add_column(col, no_wrap=True)
    table.add_column("about")
    for entry in BUILTINS.values():
        table.add_row(entry.spec.name, "x".join(map(str, entry.spec.shape)), str(entry.spec.levels),
                      str(entry.spec.num_classes or "-"), str(entry.size), entry.description)
    console.print(table)
