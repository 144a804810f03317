"""The wheel the Docker image installs works outside the source tree.

The image's first stage copies some files and runs `pip wheel`; this test copies the same files
(read from the Dockerfile's COPY lines), builds the wheel the same way, installs it alone into a
temporary folder (`--no-deps --target`: the dependencies come from this environment) and runs
`minyi demo` from an empty temporary directory. So the package data the bot needs at run time —
departments.toml, places.toml, the migrations, the default model, the fonts' lookup — is proven
to ship in the wheel, not only to sit beside the sources.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("bot", "admin", "delivery", "storage", "classifiers", "emulator", "sandbox", "minyi")


def wheel_stage_copies(dockerfile: Path) -> list[str]:
    """The sources the Dockerfile's first (wheel-building) stage copies from the build context."""
    copies: list[str] = []
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["FROM"] and copies:
            break  # the second stage
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            copies.extend(words[1:-1])
    return copies


def build_wheel(into: Path) -> Path:
    """Copy what the Dockerfile copies, build the wheel as it does, return the wheel's path."""
    source = into / "src"
    source.mkdir()
    for name in wheel_stage_copies(ROOT / "Dockerfile"):
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(
                origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(origin, source / name)
    wheels = into / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",  # setuptools from the dev extras: no network needed
            "--wheel-dir",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("minyi-*.whl")
    return wheel


def test_the_wheel_alone_runs_the_demo_outside_the_source_tree(tmp_path: Path) -> None:
    assert wheel_stage_copies(ROOT / "Dockerfile")[:2] == ["pyproject.toml", "README.md"]
    wheel = build_wheel(tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "MINYI_", "PYTHON"))
    }
    env["PYTHONPATH"] = str(target)  # ahead of site-packages, where the editable install sits

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {', '.join(FIRST_PARTY)}; "
            f"print(*(sys.modules[p].__file__ for p in {FIRST_PARTY!r}), sep='\\n')",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    paths = loaded.stdout.split()
    assert len(paths) == len(FIRST_PARTY), loaded.stdout
    for path in paths:
        assert Path(path).is_relative_to(target), f"{path} is not from the wheel"

    demo = subprocess.run(
        [sys.executable, "-m", "minyi", "demo", "--workdir", "demo"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Traceback" not in demo.stdout + demo.stderr
    assert re.search(r"\[(\d+)/\1\]", demo.stdout), "the demo did not reach its last step"
    assert "民意直通车日报" in demo.stdout
    assert (elsewhere / "demo" / "digest.png").read_bytes().startswith(b"\x89PNG")
    assert not (elsewhere / "data").exists()  # nothing written beside it but what was asked
