"""Fixtures for classifier tests: a small synthetic labelled corpus and a model trained on it."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from classifiers.artifact import save_model
from classifiers.dataset import LabelledTexts, labelled_texts
from classifiers.segmentation import initialize
from classifiers.training import TrainingResult, train_model

PLACES = ["荷韵花园", "南风花园", "北王一村", "石桥镇", "太白湖新区"]
TOPICS = {
    "urban": ["门口路灯坏了好几天", "垃圾好几天没人清运臭得很", "有人占道经营摆摊堵路"],
    "housing": ["物业不管电梯老是坏", "维修基金申请不下来", "物业费乱收还不修房子漏水"],
    "utilities": ["又停水了也没通知", "晚上停电冰箱都坏了", "燃气管道有味道怕漏气"],
}
TAILS = ["，希望尽快处理", "谢谢", "请有关部门管管"]


def synthetic_rows() -> list[tuple[str, str]]:
    """Return 45 (text, label) rows: 15 per label."""
    rows = []
    for label, topics in TOPICS.items():
        combos = itertools.islice(itertools.product(PLACES, topics, TAILS), 0, None, 3)
        for place, topic, tail in itertools.islice(combos, 15):
            rows.append((f"{place}{topic}{tail}", label))
    return rows


def write_csv(path: Path, rows: list[tuple[str, str]], *, encoding: str = "utf-8") -> Path:
    """Write (text, label) rows as a CSV with a text,label header."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def corpus() -> LabelledTexts:
    """The synthetic corpus as labelled texts."""
    rows = synthetic_rows()
    return labelled_texts([t for t, _ in rows], [label for _, label in rows], source="synthetic")


@pytest.fixture(scope="session")
def trained(corpus: LabelledTexts) -> TrainingResult:
    """A tiny model trained (with 3-fold cross-validation) on the synthetic corpus."""
    initialize()
    return train_model(corpus, cv_folds=3)


@pytest.fixture(scope="session")
def model_dir(trained: TrainingResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the saved tiny model; copy it before changing it."""
    return save_model(trained.model, tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def corpus_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic corpus written as a UTF-8 CSV."""
    return write_csv(tmp_path_factory.mktemp("data") / "train.csv", synthetic_rows())


RowsWriter = Callable[..., Path]


@pytest.fixture
def rows() -> list[tuple[str, str]]:
    """The synthetic (text, label) rows."""
    return synthetic_rows()


@pytest.fixture
def csv_writer() -> RowsWriter:
    """A function writing (text, label) rows to a CSV: (path, rows, *, encoding)."""
    return write_csv
