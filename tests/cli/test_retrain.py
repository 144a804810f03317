"""`minyi model retrain` folds stored corrections in and prints before/after on held-out data."""

from __future__ import annotations

import asyncio
import csv
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admin.cli import app
from classifiers.artifact import save_model
from classifiers.dataset import LabelledTexts
from classifiers.training import train_model
from storage import database
from storage.models import LabelledExample
from storage.unit_of_work import UnitOfWork

WORDS = {
    "urban": ["路灯", "垃圾", "占道", "井盖", "绿化"],
    "housing": ["电梯", "物业", "维修基金", "房产证", "漏水"],
    "labor": ["工资", "社保", "劳动合同", "欠薪", "工伤"],
}


def rows(n: int, seed: int) -> list[tuple[str, str]]:
    """Short labelled texts built from each label's words."""
    pick = random.Random(seed)
    out = []
    for i in range(n):
        label = list(WORDS)[i % 3]
        words = pick.sample(WORDS[label], 2)
        out.append((f"{words[0]}的问题{i}，还有{words[1]}", label))
    return out


async def store_corrections(url: str, examples: list[tuple[str, str]]) -> None:
    engine = database.create_engine(url)
    async with UnitOfWork(database.session_factory(engine)) as uow:
        for text, label in examples:
            uow.session.add(LabelledExample(text=text, label=label, source="dispatch"))
        await uow.commit()
    await engine.dispose()


def test_retrain_reports_before_and_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    database.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    base = tmp_path / "base.csv"
    with base.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows(60, seed=1))
    current = train_model(
        LabelledTexts(*map(tuple, zip(*rows(30, seed=2), strict=True))), cv_folds=0
    ).model
    save_model(current, tmp_path / "current")
    # Dispatchers taught the system that 电梯 questions near schools go to labor (say).
    asyncio.run(store_corrections(url, [(f"学校旁边电梯问题{i}", "labor") for i in range(12)]))

    result = CliRunner().invoke(
        app,
        [
            "model",
            "retrain",
            "--base-data",
            str(base),
            "--out",
            str(tmp_path / "new"),
            "--model",
            str(tmp_path / "current"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "人工纠正 12 条" in result.output
    assert "当前模型：准确率" in result.output
    assert "新模型：准确率" in result.output
    assert "纠正样本上，新模型：准确率" in result.output
    assert (tmp_path / "new" / "model.skops").is_file()
