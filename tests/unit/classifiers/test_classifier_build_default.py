"""Rebuilding the default model from a corpus directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.artifact import load_model
from classifiers.build_default import main


def _corpus(tmp_path: Path, rows: list[tuple[str, str]], writer: Callable[..., Path]) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for label in {label for _, label in rows}:
        writer(corpus / f"{label}.csv", [r for r in rows if r[1] == label])
    return corpus


def _departments(tmp_path: Path, codes: list[str]) -> Path:
    path = tmp_path / "departments.toml"
    body = "".join(f'[[departments]]\ncode = "{c}"\nname = "{c}"\n' for c in codes)
    path.write_text('[dispatch]\ncode = "dispatch"\n' + body, encoding="utf-8")
    return path


def test_builds_a_loadable_model_labelled_with_the_department_codes(
    tmp_path: Path,
    rows: list[tuple[str, str]],
    csv_writer: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    codes = ["urban", "housing", "utilities"]
    out = tmp_path / "default_model"
    argv = [
        "--corpus",
        str(_corpus(tmp_path, rows, csv_writer)),
        "--out",
        str(out),
        "--departments",
        str(_departments(tmp_path, codes)),
        "--folds",
        "3",
    ]
    assert main(argv) == 0
    assert "suggested threshold" in capsys.readouterr().out
    model = load_model(out, expected_labels=codes)
    assert [s["file"] for s in model.metadata.training_sources] == [
        "corpus/housing.csv",
        "corpus/urban.csv",
        "corpus/utilities.csv",
    ]


def test_refuses_a_corpus_that_misses_a_department(
    tmp_path: Path,
    rows: list[tuple[str, str]],
    csv_writer: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "--corpus",
        str(_corpus(tmp_path, rows, csv_writer)),
        "--out",
        str(tmp_path / "m"),
        "--departments",
        str(_departments(tmp_path, ["urban", "housing", "utilities", "police"])),
    ]
    assert main(argv) == 2
    assert "missing ['police']" in capsys.readouterr().err


def test_shipped_default_model_routes_to_the_default_departments() -> None:
    from classifiers.artifact import MODEL_FILE, default_model_path
    from classifiers.build_default import DEPARTMENTS_FILE, department_codes

    directory = default_model_path()
    assert (directory / MODEL_FILE).stat().st_size < 10 * 2**20
    model = load_model(directory, expected_labels=department_codes(DEPARTMENTS_FILE))
    assert model.metadata.cv_macro_f1 is not None
    assert model.predict("小区电梯天天坏，物业说没钱修").code == "housing"
