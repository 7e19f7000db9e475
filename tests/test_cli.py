"""The command line end to end (subprocesses, tiny settings), and every user-error path: exit code 2, one
`error:` line, no traceback, and nothing half written."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

TINY_FLAGS = ["--set", "model.channels=8", "--set", "model.latent_dim=4", "--quiet"]
TINY_TRAIN = ["--steps", "2", "--batch-size", "16", *TINY_FLAGS]

# ---------------------------------------------------------------- start-up cost


def test_help_lists_commands_and_does_not_import_torch(genlab_at, tmp_path):
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['genlab', '--help']\n"
        "code = 'none'\n"
        "try:\n"
        "    runpy.run_module('genlab', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "print('EXIT', code, file=sys.stderr)\n"
        "print('IMPORTED', ' '.join(m for m in ('torch', 'sklearn', 'safetensors') if m in sys.modules), file=sys.stderr)\n"
    )
    result = genlab_at([], tmp_path, module=[sys.executable, "-c", probe])
    assert "EXIT 0" in result.stderr, str(result)
    imported = [line for line in result.stderr.splitlines() if line.startswith("IMPORTED")]
    assert imported == ["IMPORTED "], str(result)
    for command in ("train", "sample", "evaluate", "datasets", "demo"):
        assert command in result.stdout


def test_help_import_trace_has_no_torch(genlab_at, tmp_path):
    """The same check by `python -X importtime`: no module named torch (or torch.*) is imported."""
    result = genlab_at(["--help"], tmp_path, module=[sys.executable, "-X", "importtime", "-m", "genlab"])
    assert result.returncode == 0, str(result)
    modules = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "genlab.cli" in modules
    assert not [m for m in modules if m == "torch" or m.startswith("torch.")]


def test_datasets_lists_builtins_without_torch(genlab_at, tmp_path):
    result = genlab_at(["datasets"], tmp_path, module=[sys.executable, "-X", "importtime", "-m", "genlab"])
    assert result.returncode == 0, str(result)
    for name in ("digits", "mnist", "mnist-binary"):
        assert name in result.stdout
    modules = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert not [m for m in modules if m.split(".")[0] in ("torch", "sklearn", "mlxtend")]


# ---------------------------------------------------------------- train, sample, evaluate


def test_train_writes_a_whole_run_folder(digits_run):
    for name in ("config.json", "model.safetensors", "state.safetensors", "metrics.jsonl"):
        assert (digits_run / name).is_file(), name
    assert sorted(p.name for p in (digits_run / "samples").iterdir()) == ["step_0000015.png", "step_0000030.png"]
    assert not [p for p in digits_run.rglob("*") if p.name.endswith(".tmp")]
    info = json.loads((digits_run / "config.json").read_text())
    assert info["config"]["model"]["channels"] == 8 and info["config"]["model"]["latent_dim"] == 4
    assert info["config"]["training"]["steps"] == 30
    assert info["dataset"]["name"] == "digits" and info["dataset"]["shape"] == [1, 8, 8] and info["dataset"]["levels"] == 17
    records = [json.loads(line) for line in (digits_run / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["split"]) for r in records] == [(1, "train"), (15, "val"), (25, "train"), (30, "val")]


def test_sample_writes_png_grid_and_levels(genlab, digits_run, tmp_path):
    result = genlab("sample", digits_run, "-n", 16, "-o", "grid.png", "--npy", "s.npy")
    assert result.returncode == 0, str(result)
    with Image.open(tmp_path / "grid.png") as im:
        im.load()
        assert im.format == "PNG" and im.width > 8 and im.height > 8
    x = np.load(tmp_path / "s.npy", allow_pickle=False)
    assert x.shape == (16, 1, 8, 8)
    assert x.dtype == np.uint8
    assert x.min() >= 0 and x.max() <= 16
    assert len(np.unique(x)) > 1


def test_api_sampling_is_reproducible_by_seed(digits_run):
    from genlab import api

    run = api.load_run(digits_run)
    a, b, c = api.sample(run, 8, seed=1), api.sample(run, 8, seed=1), api.sample(run, 8, seed=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_evaluate_writes_evaluation_and_report(genlab, digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    result = genlab("evaluate", run, "--iwae", 5)
    assert result.returncode == 0, str(result)
    ev = json.loads((run / "evaluation.json").read_text())
    assert ev["format"] == 2 and ev["model"] == "vae" and ev["step"] == 30 and ev["run"] == str(run)
    assert ev["dims"] == 64 and ev["split"] == "test" and ev["examples"] == 360
    likelihood = ev["results"]["likelihood"]
    assert likelihood["bound"] == "iwae-5"
    assert set(likelihood["estimates"]) == {"elbo", "iwae-5"}
    assert likelihood["estimates"]["iwae-5"]["nats_per_example"] <= likelihood["estimates"]["elbo"]["nats_per_example"]
    assert likelihood["nats_per_example"] > 0
    assert likelihood["bits_per_dim"] == pytest.approx(likelihood["nats_per_example"] / (64 * np.log(2)))
    assert 0 < likelihood["bits_per_dim"] < np.log2(17) + 0.5  # near or below a uniform guess after 30 steps
    assert {"png", "webp_lossless"} <= set(likelihood["anchors"])
    assert all(v > 0 for v in likelihood["anchors"].values())
    # The terminal shows the same figures: each estimate's bits/dim and nats/image, and the anchors.
    for bound in ("elbo", "iwae-5"):
        estimate = likelihood["estimates"][bound]
        row = next(line for line in result.stdout.splitlines() if f"vae ({bound})" in line)
        assert f"{estimate['bits_per_dim']:.3f}" in row and f"{estimate['nats_per_example']:.1f}" in row
    png_row = next(line for line in result.stdout.splitlines() if "PNG, one file per image" in line)
    assert f"{likelihood['anchors']['png']:.3f}" in png_row
    assert (run / "report.md").is_file()
    report = (run / "report.md").read_text()
    assert "iwae-5" in report
    for pic in ("samples.png", "reconstructions.png", "interpolation.png", "loss.png"):
        assert (run / "report" / pic).is_file(), pic


def test_train_on_a_user_npy_file(genlab, levels_npy, tmp_path):
    result = genlab("train", "--data", levels_npy, "--out", "run", "--steps", 3, "--batch-size", 16, *TINY_FLAGS)
    assert result.returncode == 0, str(result)
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["dataset"]["shape"] == [1, 8, 8] and info["dataset"]["levels"] == 4
    assert info["dataset"]["name"] == "levels.npy"
    result = genlab("sample", "run", "-n", 8, "-o", "g.png", "--npy", "s.npy")
    assert result.returncode == 0, str(result)
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (8, 1, 8, 8) and x.dtype == np.uint8 and x.max() <= 3


# ---------------------------------------------------------------- user errors


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[training\nsteps = 3\n")
    nan = np.random.default_rng(0).random((40, 1, 8, 8))
    nan[3, 0, 2, 2] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    levels = np.random.default_rng(0).integers(0, 4, size=(40, 1, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "levels.npy", levels)
    return {"bad_toml": bad_toml, "nan_npy": tmp_path / "nan.npy", "levels_npy": tmp_path / "levels.npy"}


TRAIN_ERRORS = {
    "unknown-dataset": (["--data", "nope"], "Unknown dataset 'nope'"),
    "missing-path": (["--data", "missing/none.npy"], "No file or folder"),
    "unknown-model": (["--data", "digits", "--model", "nope"], "Unknown model 'nope'"),
    "unknown-model-option": (["--data", "digits", "--set", "model.nonexistent=1"], "nonexistent"),
    "set-without-equals": (["--data", "digits", "--set", "model.latent_dim"], "--set"),
    "set-unknown-section": (["--data", "digits", "--set", "optimizer.lr=0.1"], "--set"),
    "bad-training-value": (["--data", "digits", "--set", "training.warmup_steps=-1"], "warmup_steps"),
    "malformed-size": (["--data", "digits", "--size", "12"], "--size"),
    "invalid-toml": (["--data", "digits", "--config", "{bad_toml}"], "not valid TOML"),
    "nan-npy": (["--data", "{nan_npy}"], "NaN"),
    "batch-larger-than-data": (["--data", "{levels_npy}", "--batch-size", "64"], "larger than"),
}


@pytest.mark.parametrize("case", list(TRAIN_ERRORS))
def test_train_user_error(case, genlab, user_error, bad_files, tmp_path):
    args, needle = TRAIN_ERRORS[case]
    args = [a.format(**bad_files) for a in args]
    result = genlab("train", "--out", "out", *TINY_TRAIN, *args)  # a case's own --batch-size comes last and wins
    user_error(result, needle)
    assert not (tmp_path / "out").exists()


def test_negative_latent_dim_is_a_user_error(genlab, user_error, tmp_path):
    result = genlab("train", "--out", "out", "--data", "digits", *TINY_TRAIN, "--set", "model.latent_dim=-3")
    user_error(result, "latent_dim")
    assert not (tmp_path / "out").exists()


def test_training_into_an_existing_run_is_refused_and_the_run_untouched(genlab, user_error, digits_run, fingerprint):
    before = fingerprint(digits_run)
    result = genlab("train", "--data", "digits", "--out", digits_run, *TINY_TRAIN)
    user_error(result, "already holds a run")
    assert fingerprint(digits_run) == before


def test_resume_needs_a_run(genlab, user_error, tmp_path):
    user_error(genlab("train", "--out", "nothing", "--resume", "--quiet"), "nothing")
    assert not (tmp_path / "nothing").exists()
    (tmp_path / "empty").mkdir()
    user_error(genlab("train", "--out", "empty", "--resume", "--quiet"), "empty")
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize("case", ["missing-run", "corrupt-model", "zero-samples"])
def test_sample_user_error_writes_nothing(case, genlab, user_error, digits_run, tmp_path):
    run = tmp_path / "run"
    n = "4"
    if case == "corrupt-model":
        shutil.copytree(digits_run, run)
        (run / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(5000))
        needle = "model.safetensors"
    elif case == "zero-samples":
        run, n, needle = digits_run, "0", "-n"
    else:
        needle = "does not exist"
    result = genlab("sample", run, "-n", n, "-o", "out.png", "--npy", "out.npy")
    user_error(result, needle)
    assert not (tmp_path / "out.png").exists()
    assert not (tmp_path / "out.npy").exists()


def test_evaluate_with_zero_importance_samples(genlab, user_error, digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run, ignore=shutil.ignore_patterns("evaluation.json", "report.md", "report"))
    user_error(genlab("evaluate", run, "--iwae", "0"), "--iwae")
    assert not (run / "evaluation.json").exists()
    assert not (run / "report.md").exists()


def test_out_that_is_a_file_is_a_user_error(genlab, user_error, tmp_path):
    (tmp_path / "afile").write_text("keep me")
    user_error(genlab("train", "--data", "digits", "--out", "afile", *TINY_TRAIN))
    assert (tmp_path / "afile").read_text() == "keep me"


def test_sample_output_that_is_a_folder_is_a_user_error(genlab, user_error, digits_run, tmp_path):
    (tmp_path / "grid").mkdir()
    user_error(genlab("sample", digits_run, "-n", 4, "-o", "grid"))
    assert list((tmp_path / "grid").iterdir()) == []


def test_set_null_turns_an_option_off(genlab, tmp_path):
    result = genlab("train", "--data", "digits", "--out", "run", "--steps", 1, "--batch-size", 16, *TINY_FLAGS,
                    "--set", "training.grad_clip=null")
    assert result.returncode == 0, str(result)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["config"]["training"]["grad_clip"] is None


def test_resume_refuses_options_it_would_ignore(genlab, user_error, digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    result = genlab("train", "--out", run, "--resume", "--lr", "0.5", "--set", "model.channels=99", "--quiet")
    user_error(result, "--lr")


# ---------------------------------------------------------------- divergence


@pytest.fixture(scope="module")
def diverged(tmp_path_factory, genlab_at):
    root = tmp_path_factory.mktemp("diverged")
    result = genlab_at(
        ["train", "--data", "digits", "--out", "run", "--steps", 20, "--batch-size", 16, *TINY_FLAGS,
         "--lr", "1e6", "--set", "training.grad_clip=null", "--set", "training.warmup_steps=0"],
        root,
    )
    return result, root / "run"


def test_divergence_stops_with_a_user_error(diverged, user_error):
    result, _ = diverged
    # Progress lines may precede it on stderr; the error itself is one line.
    line = user_error(result, "diverged", only_line=False)
    assert "lr" in line


def test_divergence_leaves_no_half_written_run(diverged, genlab_at, user_error):
    _, out = diverged
    assert (out / "model.safetensors").exists() or not out.exists(), sorted(p.name for p in out.iterdir())


# ---------------------------------------------------------------- what every command shares (issue 31)


def test_quiet_hides_progress_but_not_what_became_of_the_data(genlab, tmp_path):
    np.save(tmp_path / "floats.npy", np.random.default_rng(0).random((40, 1, 8, 8)))
    result = genlab("train", "--data", "floats.npy", "--out", "run", "--steps", 1, "--batch-size", 16, *TINY_FLAGS)
    assert result.returncode == 0 and "note: Float values" in result.stdout, str(result)


@pytest.mark.parametrize("args", [["sample", "{run}"], ["train", "--data", "digits", "--out", "new"],
                                  ["traverse", "{run}"]])
@pytest.mark.parametrize("seed", [str(2**64 + 1), "-1", "1.5"])
def test_a_seed_outside_every_generators_range_is_one_line(genlab, user_error, digits_run, tmp_path, args, seed):
    result = genlab(*[a.format(run=digits_run) for a in args], "--seed", seed)
    if seed == "1.5":  # not a whole number: typer's own refusal, exit 2 before any work
        assert result.returncode == 2 and "Traceback" not in result.stderr, str(result)
    else:
        user_error(result, "--seed", "0 to 4294967295")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_seeds_are_checked_where_they_enter_the_api(digits_run):
    from genlab import api
    from genlab.config import MAX_SEED, check_seed
    from genlab.errors import UserError

    run = api.load_run(digits_run)
    assert check_seed(np.int64(7)) == 7 and check_seed(MAX_SEED) == MAX_SEED
    for seed in (2**64 + 1, -1, 1.0, True, "3"):
        with pytest.raises(UserError, match="from 0 to"):
            check_seed(seed)
    with pytest.raises(UserError, match="seed"):
        api.sample(run, 2, seed=2**70)
    with pytest.raises(UserError, match="seed"):
        api.load_config(None, {"": {"seed": 2**40}})
    with pytest.raises(UserError, match="seed"):
        api.evaluate(run, seed=-3, write=False)


@pytest.mark.parametrize("args, needle", [
    (["sample", "{run}", "-o", "samples.jpg"], ".png"),  # a grid is a PNG: not PNG bytes in a .jpg
    (["sample", "{run}", "-o", "samples.png", "--npy", "levels.txt"], ".npy"),
    (["traverse", "{run}", "-o", "walk.gif"], ".png"),
])
def test_an_output_suffix_a_command_cannot_write_is_refused_before_any_work(genlab, user_error, digits_run, tmp_path,
                                                                             args, needle):
    user_error(genlab(*[a.format(run=digits_run) for a in args]), needle, "change the suffix")
    assert list(tmp_path.iterdir()) == []


def test_each_modalitys_writer_names_the_suffixes_it_writes():
    from types import SimpleNamespace

    from genlab.errors import UserError
    from genlab.media import examples_path

    molecules, clips = SimpleNamespace(modality="tokens"), SimpleNamespace(modality="video")
    assert examples_path(molecules, Path("mols")) == Path("mols.png")
    assert examples_path(molecules, Path("mols.CSV")) == Path("mols.CSV")
    with pytest.raises(UserError, match=r"mols.txt: molecules is written as .png or .csv, not .txt"):
        examples_path(molecules, Path("mols.txt"))  # it once wrote PNG bytes into the .txt
    assert examples_path(clips, Path("c")) == Path("c.gif")
    with pytest.raises(UserError, match=".gif or .webp"):
        examples_path(clips, Path("c.mp4"))
