"""`genlab evaluate` and `genlab compare`: how good runs are."""

from __future__ import annotations

from pathlib import Path
import typer

from genlab.cli.app import app, console, print_sections, progress_bar, seed_option


@app.command()
def evaluate(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the IWAE bound (latent models; 1 = ELBO only)."),
    samples: int = typer.Option(1000, "--samples", help="Samples for quality and novelty metrics (at most the test "
                                "split's size; 0 skips them)."),
    classify: bool = typer.Option(False, "--classify", help="Also classify the test split by Bayes' rule, "
                                  "argmax_y log p(x|y) + log p(y) (class-conditional likelihood models)."),
    factor_points: int = typer.Option(10_000, "--factor-points", help="Data with factors (dsprites): training "
                                      "examples the disentanglement metrics fit on, half as many test examples "
                                      "scored (disentanglement_lib's sizes; 0 skips them)."),
    factor_metrics: str = typer.Option("beta_vae,factor_vae,mig,dci,sap", "--factor-metrics", help="Which "
                                       "disentanglement metrics (comma-separated). DCI's gradient-boosted trees are "
                                       "the slow one: minutes per representation at 10,000 points on one core."),
    scenes: int = typer.Option(1000, "--scenes", help="Data with object masks (tetrominoes, multi-dsprites): test "
                               "scenes a decomposing model (slots) is scored on, FG-ARI beside the k-means floor "
                               "(0 skips them)."),
    utterances: int = typer.Option(20, "--utterances", help="Speech runs (tts, vocoder): test sentences said and "
                                   "scored against their recordings, MCD, log-F0 RMSE, V/UV error, real-time factor "
                                   "(0 skips them)."),
    clips: int = typer.Option(1000, "--clips", help="Video runs that forecast (video-predict): test clips continued "
                              "from their first frames and scored, MSE, MAE, SSIM, PSNR beside holding the last seen "
                              "frame (0 skips them)."),
    inpaint: int = typer.Option(0, "--inpaint", help="Runs that inpaint (diffusion, pixelcnn): test images whose lower "
                                "half is hidden and filled, scored as samples are beside the originals, and their "
                                "bits/dim (0, the default, skips it: RePaint takes minutes)."),
    seed: int = seed_option(0, "Seed for the bound's Monte Carlo noise and the samples."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
) -> None:
    """How good and how new: test bits/dim beside PNG and WebP-lossless; accuracy (classifiers); FD, KID,
    precision/recall, density/coverage and novelty of samples against the real test split's own figures;
    on data with factors (dsprites) the BetaVAE and FactorVAE scores, MIG, DCI and SAP beside the factors
    themselves and an untrained encoder; on data with object masks FG-ARI, ARI and mean best overlap of a
    decomposing model beside k-means; on video, forecasts beside holding the last frame. Writes evaluation.json, novelty.png and report.md into the run folder."""
    from genlab import api

    loaded = api.load_run(run, device=device)
    with progress_bar("evaluate") as progress:
        evaluation = api.evaluate(loaded, iwae_k=iwae, seed=seed, samples=samples, classify=classify,
                                  factor_points=factor_points, scenes=scenes, utterances=utterances, clips=clips,
                                  inpaint=inpaint,
                                  factor_metrics=tuple(m.strip() for m in factor_metrics.split(",") if m.strip()),
                                  progress=progress)
    print_sections(evaluation.sections())
    report = api.write_report(loaded, evaluation)
    console.print(f"wrote {loaded.folder.evaluation} and {report}")


@app.command()
def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders of the same dataset."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder for comparison.md, bits.png and samples.png."),
    seed: int = seed_option(0, "Seed for samples (and for evaluating runs that have no evaluation.json yet)."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
) -> None:
    """One table of every metric over runs (the real data's floor first), a bits/dim chart and the sample grids
    side by side. Runs without a current evaluation.json are evaluated first."""
    from genlab import api

    path = api.compare(runs, out, seed=seed, device=device)
    console.print(path.read_text(), markup=False)
    console.print(f"wrote {path}")
