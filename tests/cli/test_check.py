"""`minyi check` and `minyi run` on the parts that need no Telegram: database, departments,
threshold. (Groups and the token: tests/e2e/test_preflight.py, against the emulator.)"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from alembic import command

from admin.settings import DEFAULT_DEPARTMENTS, DEFAULT_MODEL
from storage import database
from tests.command_line import Minyi


@pytest.fixture(autouse=True)
def telegram_refuses(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:SECRETsecretSECRETsecretSECRET")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{port}/bot")


def test_an_old_schema_is_named_and_run_migrates_it(minyi: Minyi, workdir: Path) -> None:
    minyi("db", "init")
    command.downgrade(database.alembic_config("sqlite+aiosqlite:///data/minyi.sqlite3"), "0007")
    checked = minyi("check")
    assert "✗ 数据库结构是旧版本 0007，程序需要 0018：运行 `minyi db upgrade`" in checked.out
    ran = minyi("run")
    assert "✓ 数据库：data/minyi.sqlite3，结构 0018（最新）" in ran.out
    assert ran.err_lines[0].startswith("✗ 连不上 Telegram")


def test_departments_changed_in_the_file_warn(
    minyi: Minyi, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    minyi("db", "init")
    renamed = workdir / "departments.toml"
    text = DEFAULT_DEPARTMENTS.read_text(encoding="utf-8")
    renamed.write_text(text.replace('"城市管理局"', '"城市管理和综合执法局"'), encoding="utf-8")
    monkeypatch.setenv("MINYI_DEPARTMENTS", str(renamed))
    checked = minyi("check")
    assert "⚠ 数据库里的部门与配置文件不一致（urban）：运行 `minyi departments load`" in checked.out


@pytest.mark.parametrize(
    ("threshold", "says"),
    [
        ("0.97", "⚠ 分派阈值 0.97 很高：多数诉求会转调度中心人工分派"),
        ("0.05", "⚠ 分派阈值 0.05 低于 1/13：模型的首选把握不会低于它"),
        ("0.5", "✓ 分派阈值 0.50（MINYI_DISPATCH_THRESHOLD）"),
    ],
)
def test_the_threshold_is_checked(
    minyi: Minyi, monkeypatch: pytest.MonkeyPatch, threshold: str, says: str
) -> None:
    monkeypatch.setenv("MINYI_DISPATCH_THRESHOLD", threshold)
    assert says in minyi("check").out


def test_a_model_that_routes_little_is_named(
    minyi: Minyi, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = workdir / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    metadata = json.loads((model / "metadata.json").read_text(encoding="utf-8"))
    metadata["threshold_auto_routed_share"] = 0.3
    (model / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    monkeypatch.setenv("MINYI_MODEL", str(model))
    checked = minyi("check")
    assert "⚠ 按模型建议的阈值 0.65，交叉验证中只有 30% 的诉求能自动交办" in checked.out
