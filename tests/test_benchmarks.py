"""The benchmarks' shared parts, on a tiny digits VAE trained a few steps: train-or-reuse (a finished run is
reused, an interrupted one finished exactly, a run of other settings kept or replaced as asked), the
registry behind `genlab bench NAME`, and the argument checks, which the benchmarks make (a notebook gets
the same one-line errors as the CLI). The benchmarks' figures live in benchmarks/results."""

from __future__ import annotations

import pytest

from genlab.benchmarks.registry import BENCHMARKS, benchmark
from genlab.benchmarks.runs import finished, train_or_reuse
from genlab.errors import UserError
from genlab.runs import RunFolder
from genlab.training.run import train

FEW_STEPS = {"steps": 4, "eval_every": 2, "warmup_steps": 1}


def _mtime(folder) -> int:
    return RunFolder(folder).model.stat().st_mtime_ns


def test_a_finished_run_is_reused_and_an_interrupted_one_finished(tmp_path, tiny_config, weights, same_tensors):
    config = tiny_config(training=FEW_STEPS)
    straight = train_or_reuse(tmp_path / "straight", config)  # nothing there: trained
    assert straight.step == 4 and finished(straight)
    before = _mtime(straight.path)
    again = train_or_reuse(straight.path, config)
    assert again.step == 4 and _mtime(straight.path) == before  # reused, not retrained

    interrupted = tmp_path / "interrupted"
    train(config, interrupted, quiet=True, stop_at_step=2)
    resumed = train_or_reuse(interrupted, config)
    assert resumed.step == 4
    same_tensors(weights(straight.path), weights(interrupted))  # finished by resuming, exactly

    (interrupted / RunFolder.MODEL).unlink()  # a run that never reached a checkpoint: nothing to resume
    assert train_or_reuse(interrupted, config).step == 4
    same_tensors(weights(straight.path), weights(interrupted))


def test_a_run_of_other_settings_is_kept_unless_asked_otherwise(tmp_path, tiny_config):
    config = tiny_config(training=FEW_STEPS)
    folder = tmp_path / "run"
    train_or_reuse(folder, config)
    longer = tiny_config(training=FEW_STEPS | {"steps": 6})
    assert train_or_reuse(folder, longer).step == 4  # finished: reused as it is
    assert train_or_reuse(folder, longer, same_settings=True).step == 6  # trained anew for the budget asked
    before = _mtime(folder)
    assert train_or_reuse(folder, longer, same_settings=True).step == 6 and _mtime(folder) == before  # same: kept
    other_model = tiny_config(training=FEW_STEPS | {"steps": 6}, model={"free_bits": 0.5})
    assert train_or_reuse(folder, other_model, same_settings=True).config.model.free_bits == 0.5  # trained anew
    before = _mtime(folder)
    assert train_or_reuse(folder, config, retrain=True).step == 4 and _mtime(folder) != before

    timed = train_or_reuse(tmp_path / "timed", tiny_config(training={"steps": None, "minutes": 0.001}))
    assert finished(timed)  # a time budget counts training time, not steps


def test_a_run_stopped_before_its_budget_is_refused_not_scored(tmp_path, tiny_config, monkeypatch):
    import genlab.benchmarks.runs as runs

    def stopped(*args, **kwargs):  # as Ctrl-C does: training returns early, its checkpoint kept
        return train(*args, **kwargs, stop_at_step=2)

    monkeypatch.setattr(runs, "train", stopped)
    config = tiny_config(training=FEW_STEPS)
    with pytest.raises(UserError, match="stopped at step 2, before its budget: run the benchmark again"):
        train_or_reuse(tmp_path / "run", config)
    with pytest.raises(UserError, match="stopped at step 2"):  # resuming, stopped again
        train_or_reuse(tmp_path / "run", config)
    monkeypatch.undo()
    assert train_or_reuse(tmp_path / "run", config).step == 4  # a rerun resumes it to the budget


def test_every_benchmark_in_the_registry_opens_and_declares_its_functions_keywords():
    """The commands are generated from the registry's options: each must name a keyword of its function (the
    budget options its budget=), every keyword without a default must be an option, and a plain option's
    default must be the function's."""
    import inspect

    for name, bench in BENCHMARKS.items():
        function = benchmark(name)
        parameters = inspect.signature(function).parameters
        keywords = {"budget" if option.kind == "budget" else option.keyword for option in bench.all_options}
        assert keywords <= set(parameters), (name, keywords - set(parameters))
        required = {key for key, p in parameters.items() if p.default is inspect.Parameter.empty}
        assert required <= keywords, (name, required - keywords)
        for option in bench.all_options:
            default = parameters.get(option.keyword, None)
            if not option.kind and default is not None and default.default is not inspect.Parameter.empty:
                assert default.default == option.default, (name, option.keyword)
    with pytest.raises(UserError, match="Unknown benchmark 'nope'"):
        benchmark("nope")


def test_a_generated_bench_command_passes_parsed_options_to_its_function():
    from genlab.benchmarks.budget import Budget
    from genlab.cli.bench import arguments

    values = {"data": "mnist", "steps": 50, "minutes": None, "names": " vae, gan ,", "seed": 1, "iwae_k": 10,
              "retrain": True, "out": "somewhere"}
    assert arguments(BENCHMARKS["families"], values) == {
        "data": "mnist", "budget": Budget(50, None), "names": ("vae", "gan"), "seed": 1, "iwae_k": 10,
        "retrain": True, "out": "somewhere"}
    speed = {"threads": "1,2", "steps": 3, "families": None, "inference": False, "compile": False, "out": "o"}
    assert arguments(BENCHMARKS["speed"], speed)["threads"] == (1, 2)
    with pytest.raises(UserError, match="--threads 'one' must be comma-separated whole numbers"):
        arguments(BENCHMARKS["speed"], speed | {"threads": "one"})


@pytest.mark.parametrize("name, args, kwargs, option", [
    ("semisupervised", ("digits", "out"), {"seeds": 0}, "--seeds"),
    ("semisupervised", ("digits", "out"), {"steps": -1}, "--steps"),
    ("semisupervised", ("digits", "out"), {"labels": [5, 0]}, "--labels"),
    ("families", ("digits", "out"), {"names": ["vae", "nope"]}, "--families"),
    ("families", ("digits", "out"), {"names": []}, "--families"),
    ("likelihood", ("digits", "out"), {"iwae_k": 0}, "--iwae"),
    ("compression", ("out",), {"datasets": [], "codec_steps": 0, "refine": 0}, "--codec-steps"),
    ("compression", ("out",), {"datasets": [], "codec_steps": 1, "refine": -1}, "--refine"),
    ("scenes", ("out",), {"steps": 0}, "--steps"),
    ("scenes", ("out",), {"size": 48}, "--size"),
    ("scenes", ("out",), {"datasets": "tetrominoes,clevr"}, "--datasets"),
    ("video", ("out",), {"video_steps": 0}, "--video-steps"),
    ("video", ("out",), {"inpaint": -1}, "--inpaint"),
    ("molecules", ("out",), {"seeds": 0}, "--seeds"),
    ("studio", ("out",), {"runs": 0}, "--runs"),
    ("speech", ("out",), {"corpora": ("ljspeech",)}, "--corpora"),
    ("speech", ("out",), {"tts_steps": 0}, "--tts-steps"),
    ("molecules", ("out",), {"vae_steps": -5}, "--vae-steps"),
])
def test_benchmarks_check_their_arguments_before_any_work(tmp_path, monkeypatch, name, args, kwargs, option):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=option) as err:
        benchmark(name)(*args, **kwargs)
    assert str(err.value).count(".") >= 1 and "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_a_bench_argument_error_on_the_command_line_is_one_line(genlab, user_error, tmp_path):
    user_error(genlab("bench", "semisupervised", "--seeds", "0", "--out", "out"), "--seeds", "positive")
    user_error(genlab("bench", "families", "--steps", "0", "--out", "out"), "--steps 0", "positive")
    user_error(genlab("bench", "families", "--steps", "5", "--minutes", "1", "--out", "out"), "--steps 5",
               "give one")
    assert not (tmp_path / "out").exists()


def test_a_budget_is_steps_unless_minutes_are_asked_for():
    from genlab.benchmarks.budget import Budget

    assert Budget().training(1402) == {"steps": 1402, "minutes": None} and Budget().option() == ""
    assert Budget(steps=50).training(1402) == {"steps": 50, "minutes": None} and Budget(50).option() == " --steps 50"
    timed = Budget(minutes=10)
    assert timed.training(1402) == {"steps": None, "minutes": 10} and timed.option() == " --minutes 10"
    assert "depends on this machine's speed" in timed.warning()[0] and Budget(50).warning() == []
    with pytest.raises(UserError, match="--minutes -1 must be positive"):
        Budget(minutes=-1)


def _figures(page: str) -> list[str]:
    """The page without what depends on the machine's speed: the timing columns and the machine's name."""
    rows = [line.split(" | ") for line in page.splitlines() if line.startswith("| ")]
    timed = [i for i, name in enumerate(rows[0]) if name.strip(" |") in ("training minutes", "sampling time / image")]
    return [" | ".join(cell for i, cell in enumerate(row) if i not in timed) for row in rows]


def test_a_benchmark_run_twice_at_the_same_step_budget_writes_the_same_figures(tmp_path, monkeypatch):
    from genlab.benchmarks.budget import Budget
    from genlab.evaluation import features

    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))  # a few-step classifier, kept from other tests
    monkeypatch.setattr(features, "MIN_STEPS", 5)
    monkeypatch.setattr(features, "FEATURE_EPOCHS", 0)
    pages = [benchmark("families")("digits", tmp_path / name, names=["vae"], budget=Budget(steps=3), iwae_k=2)
             for name in ("first", "second")]
    first, second = (_figures(page.read_text()) for page in pages)
    assert len(first) > 4 and first == second  # header, floor, vae, the file formats
    assert first[2].startswith("| vae") and first[2].endswith(" | 3")  # the steps column: the budget asked for
    assert "on " in pages[0].read_text().splitlines()[2] and "torch thread" in pages[0].read_text()


def test_the_studio_benchmark_times_the_api_on_hard_linked_copies(digits_run, tmp_path):
    pytest.importorskip("fastapi")
    from genlab.benchmarks.studio import _api_timings, _many

    root = _many(digits_run, tmp_path / "many", 3)
    assert sorted(p.name for p in root.iterdir()) == ["vae-000", "vae-001", "vae-002"]
    weights = root / "vae-001" / "model.safetensors"
    assert weights.stat().st_ino == (digits_run / "model.safetensors").stat().st_ino  # linked, not copied
    timings = _api_timings(root, repeats=1)
    assert len(timings) == 3 and all(first > 0 and median > 0 for first, median in timings.values())


def test_a_kept_record_outlives_a_config_field_added_at_its_default(tmp_path):
    """Records keyed by a run config made before a field existed (training.compile, say) still hold for a config
    that leaves the field at its default, and not for one that sets it (the scenes records predate compile)."""
    from genlab.benchmarks.runs import kept
    from genlab.config import load_config

    config = load_config(None, {"data": {"source": "digits"}, "model": {"name": "vae"}, "training": {"steps": 5}})
    old = config.model_dump(mode="json")
    del old["training"]["compile"]
    path = tmp_path / "record.json"
    kept(path, {"config": old, "samples": 3}, lambda: 1)
    assert kept(path, {"config": config.model_dump(mode="json"), "samples": 3}, lambda: 2) == 1
    on = load_config(None, {"data": {"source": "digits"}, "model": {"name": "vae"},
                            "training": {"steps": 5, "compile": True}})
    assert kept(path, {"config": on.model_dump(mode="json"), "samples": 3}, lambda: 3) == 3


def test_a_run_saved_before_an_option_existed_has_the_settings_it_trained_with():
    """A slots run saved before BO-QSA has no `init` in its config.json: it is the paper's start it trained
    with, so a benchmark asking for that start reuses it (it was deleted and retrained before), and one
    asking for the learnt start does not."""
    from genlab.benchmarks.runs import _same_settings
    from genlab.config import load_config

    def config(**model):
        return load_config(None, {"data": {"source": "tetrominoes"}, "model": {"name": "slots", "masks": "decoder"} | model,
                                  "training": {"steps": 3}})

    saved = config()  # a config.json's options then: no init, no implicit
    assert _same_settings(saved, config(init="gaussian", implicit=False))
    assert not _same_settings(saved, config(init="learnt"))
