"""Every command's --help renders plainly: flags show no value type, repeated values no Python spelling, and
no rich markup leaks through as text."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from genlab.cli import app

ARTEFACTS = ("<bool>", "list[", "\\[", "[/", "[bold", "[dim")


def _commands(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path below a (Typer's own click) group, the group itself first."""
    found = [prefix]
    for name, command in group.commands.items():
        path = prefix + (name,)
        found += _commands(command, path) if hasattr(command, "commands") else [path]
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_every_command_is_checked():
    assert {("train",), ("sample",), ("evaluate",), ("compress",), ("bench", "families")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "genlab")
def test_help_renders_without_artefacts(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    assert [a for a in ARTEFACTS if a in text] == [], text


def test_flags_show_no_value_and_options_their_type():
    text = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).output
    resume = next(line for line in text.splitlines() if "--resume" in line and "Continue" in line)
    assert "<" not in resume.split("Continue")[0]
    steps = next(line for line in text.splitlines() if "--steps" in line)
    assert "<int>" in steps


def test_train_names_every_model_family():
    from genlab.models.registry import MODELS

    result = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "2000"})
    text = re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;]*m", "", result.output))
    assert [name for name in MODELS if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)] == []
