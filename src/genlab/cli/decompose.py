"""`genlab decompose`: a slots run splits scenes into their objects, as pictures."""

from __future__ import annotations

from pathlib import Path

import typer

from genlab.cli.app import app, console, progress_bar, seed_option


@app.command()
def decompose(
    run: Path = typer.Argument(..., help="A slots run folder (genlab train --model slots)."),
    source: Path = typer.Argument(..., help="A scene image (PNG, JPEG, ...) or a folder of them, of the run's size "
                                  "and channels."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder for the pictures: NAME/slot-K.png (RGBA), "
                                "NAME/mask-K.png, NAME/reconstruction.png and NAME-overview.png per image."),
    resize: bool = typer.Option(False, "--resize", help="Resize images of another size to the run's (bicubic) "
                                "instead of refusing them."),
    slots: int = typer.Option(None, "--slots", help="Slots to split into (default: the run's own); more than it was "
                              "trained with works, for scenes with more objects."),
    seed: int = seed_option(0, "Seed for the slots' random initial values."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Split each scene into the run's slots without labels: each slot's masked reconstruction and mask as
    PNGs, and one overview per image (image | reconstruction | masks coloured | each slot alone)."""
    from genlab.api import decompose as decompose_scenes
    from genlab.api import load_run

    opened = load_run(run, device=device)
    with progress_bar("decompose") as progress:
        result = decompose_scenes(opened, source, output, resize=resize, seed=seed, slots=slots,
                                  progress=progress)
    for note in result.notes:
        console.print(f"note: {note}")
    overviews = [p for p in result.written if p.name.endswith("-overview.png")]
    console.print(f"wrote {len(result.written)} files for {len(overviews)} images under {output} "
                  f"(overviews: {', '.join(str(p) for p in overviews[:3])}{', ...' if len(overviews) > 3 else ''})")
