"""The `minyi` command imports a command's module only when that command runs.

Its listing comes from `minyi.cli.COMMANDS`; these tests hold it to what the commands
themselves print, and check in fresh interpreters what `minyi --help` and `minyi run` import.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from admin.cli import app as operator_app
from minyi.cli import COMMANDS
from minyi.cli import app as minyi_app

ROOT = Path(__file__).resolve().parents[2]
TRAINING_LIBRARIES = {"sklearn", "scipy", "pandas", "matplotlib", "skops"}
runner = CliRunner()


def assembled() -> typer.Typer:
    """`minyi` as it was assembled before: every module imported, then the app built."""
    from admin.cli import options
    from bot.cli import check, run
    from sandbox.cli import demo, sandbox

    whole = typer.Typer(help=operator_app.info.help, no_args_is_help=True)
    whole.callback()(options)
    whole.registered_commands.extend(operator_app.registered_commands)
    whole.registered_groups.extend(operator_app.registered_groups)
    whole.command("check")(check)
    whole.command("run")(run)
    whole.command("demo")(demo)
    whole.command("sandbox")(sandbox)
    return whole


def command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group below a click group, as argument paths."""
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


def help_of(app: typer.Typer, path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_listing_is_the_assembled_apps() -> None:
    assert help_of(minyi_app, ()) == help_of(assembled(), ())


def test_every_command_and_group_has_the_same_help() -> None:
    whole = assembled()
    paths = command_paths(typer.main.get_group(whole))
    assert {path[0] for path in paths} == set(COMMANDS)
    for path in paths:
        assert help_of(minyi_app, path) == help_of(whole, path), path


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_entry_names_a_command_of_its_module(name: str) -> None:
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    text = target.info.help if isinstance(target, typer.Typer) else target.__doc__
    assert str(text).split("\n\n")[0].strip() == entry.summary


def test_an_unknown_command_still_gets_a_suggestion() -> None:
    result = runner.invoke(minyi_app, ["modle"])
    assert result.exit_code == 2
    assert "Did you mean 'model'?" in result.output


def imported_by(script: str, tmp_path: Path) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `script`."""
    probe = script + "\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(result.stdout.splitlines()[-1].split())


def test_minyi_help_imports_no_command(tmp_path: Path) -> None:
    script = (
        "import contextlib, io, sys\n"
        "from minyi.cli import main\n"
        "sys.argv = ['minyi', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
    )
    modules = imported_by(script, tmp_path)
    assert "minyi" in modules
    assert not modules & {"admin", "bot", "sandbox", "storage", "classifiers", "telegram"}
    assert not modules & {"sqlalchemy", "numpy", "jieba", *TRAINING_LIBRARIES}


def test_minyi_run_serves_without_the_training_libraries(tmp_path: Path) -> None:
    # What `minyi run` imports, then what its post_init loads: the model, and one prediction.
    script = (
        "import sys\n"
        "from minyi.cli import load_command\n"
        "load_command('run')\n"
        "from admin.settings import load_settings\n"
        "from bot.app import build_application, load_classifier\n"
        "from storage.district import read_district\n"
        "settings = load_settings(telegram_bot_token='123456:' + 'A' * 30)\n"
        "build_application(settings)\n"
        "model = load_classifier(settings, read_district(settings.departments_file))\n"
        "assert model.predict('小区门口的路灯坏了一个多月，晚上太黑了').code == 'urban'\n"
    )
    modules = imported_by(script, tmp_path)
    assert {"bot", "telegram", "classifiers", "numpy"} <= modules
    # matplotlib waits for the first digest chart; the emulator is for tools and tests.
    assert not modules & {*TRAINING_LIBRARIES, "emulator", "sandbox"}
