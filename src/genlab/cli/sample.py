"""`genlab sample`: new examples (or latent walks) from a run, as a picture and optionally an array."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from genlab.cli.app import app, console, seed_option
from genlab.cli.declared import with_options
from genlab.models.sampler_options import SAMPLER


def sample(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    n: Optional[int] = typer.Option(None, "-n", help="Number of samples, 64 by default (16 clips of a video run); a "
                                    "conditional run without --label spreads them over one row per class."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="What to write: a PNG grid (samples.png); "
                                          "molecules as .csv or .png; clips as an animated .gif (clips.gif) or .webp."),
    npy: Optional[Path] = typer.Option(None, "--npy", help="Also write the samples as integer levels (N, C, H, W), "
                                       "clips (N, T, C, H, W)."),
    seed: int = seed_option(0, "Sampling seed."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
    label: Optional[int] = typer.Option(None, help="Class to generate (conditional runs); omitted: one row per class."),
    interpolate: bool = typer.Option(False, "--interpolate", help="Instead of samples: walks in latent space between "
                                     "pairs of encoded test images (latent families), one row per pair."),
    between: Optional[list[str]] = typer.Option(None, "--between", help="Molecule runs (smiles-vae): walk between "
                                                "these two molecules' codes instead, e.g. --between CCO --between "
                                                "c1ccccc1 (implies --interpolate)."),
    context: Optional[Path] = typer.Option(None, "--context", help="Video runs that forecast: continue these clips "
                                           "(.npy of (N, T, H, W) or (N, T, C, H, W) levels, or one .gif / .webp); "
                                           "writes the seen frames followed by the predicted ones."),
    frames: Optional[int] = typer.Option(None, "--frames", help="With --context: frames to predict (default: as many "
                                         "as the run was trained to)."),
    **options: Any,
) -> None:
    """Generate new examples from a trained run (or, with --interpolate, walks between test images)."""
    from genlab import api
    from genlab.files import output_path, write_npy
    from genlab.media import MEDIA, examples_path, save_examples

    loaded = api.load_run(run, device=device)
    medium = MEDIA.get(loaded.spec.modality)
    if medium is None:
        from genlab.errors import UserError

        raise UserError(f"{run} models {loaded.spec.modality}, which genlab sample cannot write: use genlab speak.")
    output = examples_path(loaded.spec, output or Path(medium.default_file))  # checked before any work
    npy = None if npy is None else output_path(npy, (".npy",), "--npy, the samples' levels,")
    n = medium.default_count if n is None else n
    if frames is not None and context is None:
        from genlab.errors import UserError

        raise UserError("--frames says how many frames to predict after --context clips: give --context too.")
    if context is not None:
        x, row = api.continue_clips(loaded, context, frames=frames, seed=seed), None
    elif between:
        from genlab.data.molecule_encoding import encode_molecules
        from genlab.errors import UserError

        if loaded.spec.modality != "tokens" or len(between) != 2:
            raise UserError("--between takes two molecules (SMILES) of a molecule run: --between A --between B.")
        x, row = api.interpolate(loaded, encode_molecules(loaded.spec, between), seed=seed), 10
    elif interpolate:
        test = loaded.dataset().test
        pairs = max(1, n // 10)
        x, row = api.interpolate(loaded, test.x[: 2 * pairs], test.y, seed=seed), 10
    else:
        x, row = api.sample_grid(loaded, n, seed=seed, label=label, **options)
    written = save_examples(loaded.spec, x, output, nrow=row) or output
    if npy is not None:
        write_npy(npy, x.astype("uint8"))
    what = "continued clips" if context is not None else f"interpolated {medium.noun}" if interpolate or between \
        else "samples"
    console.print(f"{len(x)} {what} -> {written}"
                  + (f" and {npy}" if npy else ""))


app.command()(with_options(sample, SAMPLER.values()))  # the sampler's options: models/sampler_options.py
