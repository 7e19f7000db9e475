"""The house rules of docs/architecture.md, checked: imports only go down the layers (import-linter, lazy
imports included), the contract catches the import cycle genlab once had, argument errors never import
torch, and no tensor is created on a hard-coded device."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "genlab"
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold():
    result = _lint(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_the_contract_catches_the_old_cycle(tmp_path):
    """The cycle genlab had (training -> evaluation -> api -> training), hidden in a function-level import, is
    reported as a broken layer contract."""
    shutil.copytree(PACKAGE, tmp_path / "src" / "genlab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    trainer = tmp_path / "src" / "genlab" / "training" / "trainer.py"
    trainer.write_text(trainer.read_text() + "\n\ndef _lazy():\n    from genlab import api  # noqa: F401\n")
    result = _lint(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "genlab.training.trainer -> genlab.api" in result.stdout, result.stdout


def test_an_argument_error_imports_no_torch(genlab_at, tmp_path):
    """A mistyped option is refused by the parser before any command imports torch."""
    result = genlab_at(["train", "--steps", "many", "--out", "x"], tmp_path,
                       module=[sys.executable, "-X", "importtime", "-m", "genlab"])
    assert result.returncode == 2, str(result)
    modules = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "genlab.cli" in modules
    assert not [m for m in modules if m == "torch" or m.startswith("torch.")]


# ---------------------------------------------------------------- devices

# Tensor constructors that put their result on the default (CPU) device unless told otherwise.
FACTORIES = {"zeros", "ones", "full", "empty", "arange", "linspace", "randn", "rand", "randint", "randperm",
             "tensor", "eye"}


def _hard_coded_devices(path: Path, root: Path = ROOT) -> list[str]:
    """Places in one source file that create a tensor without following a device: a factory call without
    `device=` or a `torch.from_numpy(...)` never moved with `.to(...)`. Module construction (`__init__`) is
    exempt: `model.to(device)` moves what it builds. A line may opt out with the comment `# cpu:` and the
    reason (e.g. indices into host arrays)."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    constructing = {id(node) for init in ast.walk(tree) if isinstance(init, ast.FunctionDef) and init.name == "__init__"
                    for node in ast.walk(init)}
    found = []
    for node in ast.walk(tree):
        if id(node) in constructing:
            continue
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"):
            continue
        if "# cpu:" in lines[node.lineno - 1]:
            continue
        name, keywords = node.func.attr, {k.arg for k in node.keywords}
        parent = parents.get(node)
        moved = isinstance(parent, ast.Attribute) and parent.attr == "to"
        if name in FACTORIES and "device" not in keywords and not moved:
            found.append(f"{path.relative_to(root)}:{node.lineno}: torch.{name}(...) without device=")
        if name == "from_numpy" and not moved:
            chained = parent
            while isinstance(chained, (ast.Attribute, ast.Call)) and not (isinstance(chained, ast.Attribute)
                                                                           and chained.attr == "to"):
                chained = parents.get(chained)
            if not isinstance(chained, ast.Attribute):
                found.append(f"{path.relative_to(root)}:{node.lineno}: torch.from_numpy(...) never moved with .to(device)")
    return found


def test_no_tensor_is_created_on_a_hard_coded_device():
    """Everything runs where the model lives (load_run(path, device=...)): sampling, evaluation, reports,
    coding and training create their tensors on the model's or the batch's device."""
    found = [place for path in sorted(PACKAGE.rglob("*.py")) for place in _hard_coded_devices(path)]
    assert not found, "\n".join(found)


def test_the_device_check_finds_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\n\ndef f(x, model):\n    a = torch.zeros(3)\n    b = torch.from_numpy(x).long()\n"
                   "    c = torch.from_numpy(x).long().to(model.device)\n    d = torch.zeros(3, device=model.device)\n"
                   "    e = torch.zeros(3)  # cpu: the RNG state lives on the host\n")
    found = [line.split(": ", 1)[1] for line in _hard_coded_devices(bad, root=tmp_path)]
    assert found == ["torch.zeros(...) without device=", "torch.from_numpy(...) never moved with .to(device)"]


def test_an_unusable_device_is_a_one_line_error(genlab_at, tmp_path, user_error):
    """--device names where the model runs; a device that is not there is refused before any work."""
    import torch

    fixture = ROOT / "tests" / "fixtures" / "old-vae-digits"
    asked = ["tpu", "cuda:7"] + ([] if torch.cuda.is_available() else ["cuda"])
    for device in asked:
        result = genlab_at(["sample", fixture, "-n", "2", "-o", "s.png", "--device", device], tmp_path)
        user_error(result, device)
        assert not (tmp_path / "s.png").exists()


def test_the_api_exports_every_name_it_imports():
    """api.py is the commands' one way into the library: a name imported there but missing from __all__ (or
    listed but not imported) is a command going around it or a stale entry."""
    import ast

    tree = ast.parse((ROOT / "src" / "genlab" / "api.py").read_text())
    imported = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                and node.module != "__future__" for alias in node.names}
    from genlab import api

    assert sorted(api.__all__) == sorted(imported)
