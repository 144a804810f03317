"""`minyi model train` and `evaluate` as an operator runs them, on small data cut from the
project's own corpus: labels that are not department codes are refused with the fix, thin
data is warned about, and scoring a model on its training file says so."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifiers.artifact import read_metadata
from storage.district import read_district
from tests.command_line import Minyi

CORPUS = Path(__file__).resolve().parents[2] / "classifiers" / "corpus"


def corpus_rows(per_department: int, codes: tuple[str, ...] | None = None) -> list[list[str]]:
    """`per_department` (text, code) rows of each department (all, or the given codes)."""
    rows: list[list[str]] = []
    for code in codes or read_district().codes:
        with (CORPUS / f"{code}.csv").open(encoding="utf-8", newline="") as handle:
            rows += [[r["text"], r["label"]] for r in list(csv.DictReader(handle))[:per_department]]
    return rows


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def named(rows: list[list[str]]) -> list[list[str]]:
    """The same rows labelled with the departments' names instead of their codes."""
    names = {d.code: d.name for d in read_district().departments}
    return [[text, names[code]] for text, code in rows]


def test_department_names_are_refused_with_the_codes_they_map_to(
    minyi: Minyi, workdir: Path
) -> None:
    data = write(workdir / "names.csv", named(corpus_rows(6)))
    done = minyi("model", "train", "--data", str(data), "--out", "m", "--folds", "2")
    assert done.code != 0
    assert len(done.err_lines) == 1, done.err
    assert "城市管理局 → urban" in done.err
    assert "--map-names" in done.err
    assert not (workdir / "m").exists()


def test_map_names_trains_on_the_codes(minyi: Minyi, workdir: Path) -> None:
    data = write(workdir / "names.csv", named(corpus_rows(6)))
    done = minyi("model", "train", "--data", str(data), "--out", "m", "--folds", "2", "--map-names")
    assert done.code == 0, done.err
    assert "已把部门名称换成代码" in done.out
    assert set(read_metadata(workdir / "m").labels) == set(read_district().codes)


def test_labels_that_name_no_department_are_refused_with_the_codes(
    minyi: Minyi, workdir: Path
) -> None:
    rows = [
        [text, "城乡建设" if i % 2 else "环境保护"] for i, (text, _) in enumerate(corpus_rows(3))
    ]
    done = minyi("model", "train", "--data", str(write(workdir / "x.csv", rows)), "--out", "m")
    assert done.code != 0
    assert len(done.err_lines) == 1, done.err
    assert "城乡建设、环境保护 不是部门代码" in done.err
    assert "urban" in done.err
    assert "--any-labels" in done.err
    experiment = minyi(
        "model", "train", "--data", str(workdir / "x.csv"), "--out", "m", "--any-labels"
    )
    assert experiment.code == 0, experiment.err


def test_missing_departments_tiny_labels_and_a_threshold_routing_little_are_warned(
    minyi: Minyi, workdir: Path
) -> None:
    rows = corpus_rows(10, ("urban", "housing"))
    data = write(workdir / "two.csv", rows)
    done = minyi("model", "train", "--data", str(data), "--out", "m", "--folds", "2")
    assert done.code == 0, done.err
    assert "⚠ 数据里没有这 11 个部门的样本" in done.out
    assert "`minyi check` 和 `minyi run` 也会拒绝这个模型" in done.out
    assert "⚠ 这些标签样本太少（少于 20 条）" in done.out
    assert "urban（10 条）" in done.out
    threshold = read_metadata(workdir / "m").threshold_auto_routed_share
    assert threshold is not None
    assert threshold < 0.5
    assert "⚠ 按建议阈值" in done.out
    assert "其余都转调度中心人工分派" in done.out


def test_a_sound_training_set_brings_no_warning(minyi: Minyi, workdir: Path) -> None:
    data = write(workdir / "all.csv", corpus_rows(150))
    done = minyi("model", "train", "--data", str(data), "--out", "m", "--folds", "3")
    assert done.code == 0, done.err
    assert "⚠" not in done.out, done.out
    assert "宏平均 F1 (macro-F1)" in done.out
    assert "模型已保存到 m" in done.out


def test_evaluate_warns_on_the_training_data_only(minyi: Minyi, workdir: Path) -> None:
    rows = corpus_rows(30)
    train = write(workdir / "train.csv", rows[::2])
    other = write(workdir / "other.csv", rows[1::2])
    assert minyi("model", "train", "--data", str(train), "--out", "m", "--folds", "2").code == 0
    same = minyi("model", "evaluate", "--model", "m", "--data", str(train))
    assert same.code == 0, same.err
    assert "⚠ 这份数据就是训练这个模型用的数据" in same.out
    fresh = minyi("model", "evaluate", "--model", "m", "--data", str(other))
    assert fresh.code == 0, fresh.err
    assert "⚠" not in fresh.out
    # The same rows saved again (another file) are recognised by the rows' hash.
    copy = write(workdir / "copy.csv", rows[::2])
    copy.write_bytes(copy.read_bytes() + b"\n")
    assert "这份数据就是训练" in minyi("model", "evaluate", "--model", "m", "--data", str(copy)).out


def test_training_shows_progress_in_a_terminal(
    minyi: Minyi, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write(workdir / "all.csv", corpus_rows(8))
    quiet = minyi("model", "train", "--data", str(data), "--out", "m", "--folds", "2")
    assert quiet.err == ""  # a pipe or a log gets no progress drawing
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    shown = minyi("model", "train", "--data", str(data), "--out", "m", "--folds", "2")
    assert shown.code == 0
    for stage in ("读取并分词", "交叉验证", "用全部数据训练最终模型"):
        assert stage in shown.err
