"""The `minyi model` commands: train, evaluate, predict."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from admin.cli_model import app

runner = CliRunner()


def test_train_writes_model_and_reports_metrics(corpus_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = runner.invoke(
        app, ["train", "--data", str(corpus_csv), "--out", str(out), "--folds", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "宏平均 F1 (macro-F1)" in result.output
    assert "建议阈值" in result.output
    assert (out / "model.skops").is_file()
    assert (out / "metadata.json").is_file()


def test_train_reports_a_missing_column(corpus_csv: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["train", "--data", str(corpus_csv), "--out", str(tmp_path), "--label-column", "部门"],
    )
    assert result.exit_code == 2
    assert "文件里的列：text、label" in result.output


def test_evaluate_prints_metrics_outcome_and_writes_png(
    model_dir: Path, corpus_csv: Path, tmp_path: Path
) -> None:
    png = tmp_path / "cm.png"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--model",
            str(model_dir),
            "--data",
            str(corpus_csv),
            "--png",
            str(png),
            "--threshold",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    for needle in ("准确率", "macro-F1", "精确率", "混淆矩阵", "阈值 0.50：自动交办"):
        assert needle in result.output
    assert png.read_bytes().startswith(b"\x89PNG")


def test_predict_writes_rows_with_predictions(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,荷韵花园路灯坏了\n2,又停水了\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["predict", "--model", str(model_dir), "--input", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert [r["系统预测部门"] for r in rows] == ["urban", "utilities"]
    assert 0.0 < float(rows[0]["预测置信度"]) <= 1.0
    assert rows[0]["备选部门"].count(":") == 2


def test_predict_refuses_a_tampered_model(model_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    (copy / "model.skops").write_bytes(b"not a model")
    source = tmp_path / "in.csv"
    source.write_text("text\n路灯坏了\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["predict", "--model", str(copy), "--input", str(source), "--out", str(tmp_path / "o.csv")],
    )
    assert result.exit_code == 2
    assert "不符" in result.output


def test_evaluate_accepts_data_of_a_single_department(model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "one.csv"
    data.write_text("text,label\n路灯坏了没人修,urban\n垃圾没人清运,urban\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--model", str(model_dir), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "样本数：2" in result.output
