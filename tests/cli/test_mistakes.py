"""Every `minyi` command, given its common mistakes: one line on stderr saying what to do, a
non-zero exit, no traceback, never the token (even a wrong one)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.command_line import Minyi, Outcome

TOKEN = "123456789:SECRETsecretSECRETsecretSECRET"
SECRET = TOKEN.split(":")[1]
NOT_INITIALISED = "先运行 `minyi db init`"

BEFORE_DB_INIT = [
    ["departments", "load"],
    ["departments", "bind", "urban", "-1001234567890", "--forum"],
    ["departments", "list"],
    ["members", "add", "123456789", "--role", "admin"],
    ["members", "remove", "123456789"],
    ["members", "set-role", "123456789", "admin"],
    ["members", "list"],
    ["members", "history"],
    ["export", "tickets", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "t.csv"],
    ["export", "digest", "2026-11-24", "--out", "digest"],
    ["anonymise", "--closed-before", "2026-01-01"],
    ["model", "retrain", "--base-data", "history.csv", "--out", "new-model"],
]

# (arguments, variables, what the line must say); the database is initialised first.
MISTAKES: list[tuple[list[str], dict[str, str], str]] = [
    (["nonsense"], {}, "没有这个命令"),
    (["db", "upgrade", "--revision", "nonsense"], {}, "数据库迁移失败"),
    (["departments", "load", "missing.toml"], {}, "missing.toml"),
    (["departments", "bind", "urban", "abc"], {}, "不是有效的群组 ID"),
    (["departments", "bind", "urban", "123"], {}, "群组 ID 是负数"),
    (["departments", "bind", "parks", "-1001234567890"], {}, "可用的部门代码"),
    (["members", "add", "abc", "--role", "staff"], {}, "不是有效的 Telegram 用户 ID"),
    (["members", "add", "123456789"], {}, "缺少参数 --role"),
    (["members", "add", "123456789", "--role", "boss"], {}, "参数 --role 的值无效"),
    (["members", "add", "123456789", "--role", "staff"], {}, "--department"),
    (
        ["members", "add", "123456789", "--role", "dispatcher", "--department", "urban"],
        {},
        "调度员面向全区",
    ),
    (
        ["members", "add", "123456789", "--role", "staff", "--department", "园林局"],
        {},
        "可用的部门代码",
    ),
    (["members", "remove", "123456789"], {}, "没有这个角色"),
    (["members", "set-role", "123456789", "boss"], {}, "参数 ROLE 的值无效"),
    (["members", "history", "abc"], {}, "不是有效的 Telegram 用户 ID"),
    (["export", "tickets", "--from", "2026-11-01", "--out", "t.csv"], {}, "缺少参数 --to"),
    (
        ["export", "tickets", "--from", "2026-13-01", "--to", "2026-11-30", "--out", "t.csv"],
        {},
        "参数 --from 的值无效",
    ),
    (["export", "digest", "yesterday"], {}, "参数 DAY 的值无效"),
    (["anonymise"], {}, "缺少参数 --closed-before"),
    (["model", "train", "--data", "missing.csv", "--out", "m"], {}, "missing.csv"),
    (
        ["model", "evaluate", "--model", "nowhere", "--data", "history.csv"],
        {},
        "nowhere",
    ),
    (
        ["model", "predict", "--model", "nowhere", "--input", "history.csv", "--out", "p.csv"],
        {},
        "nowhere",
    ),
    (["model", "retrain", "--base-data", "missing.csv", "--out", "m"], {}, "missing.csv"),
    (["model", "train", "--data", "names.csv", "--out", "m"], {}, "城市管理局 → urban"),
    (["model", "train", "--data", "history.csv", "--out", "m"], {}, "至少需要两个部门"),
    (["members", "list"], {"MINYI_TIMEZONE": "Mars/Olympus"}, "MINYI_TIMEZONE"),
    (["members", "list"], {"MINYI_DEPARTMENTS": "/nowhere/d.toml"}, "MINYI_DEPARTMENTS"),
    (["members", "list"], {"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
    (["check"], {"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    (["run"], {"TELEGRAM_BOT_TOKEN": "abc:def"}, "TELEGRAM_BOT_TOKEN"),
    (["run"], {"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"),
    (["run", "--webhook-url", "https://bot.example.org/t"], {}, "MINYI_WEBHOOK_SECRET"),
    (["run"], {}, "连不上 Telegram"),
    (["check"], {}, "项检查未通过"),
    (["run"], {"MINYI_MODEL": "nowhere"}, "模型无法加载"),
    (["demo", "--workdir", "/proc/minyi-demo"], {}, "/proc/minyi-demo"),
]


@pytest.fixture
def environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A token that must never show, and a Telegram that refuses connections (no waiting)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{port}/bot")
    (workdir / "history.csv").write_text("text,label\n路灯坏了,urban\n", encoding="utf-8")
    (workdir / "names.csv").write_text(
        "text,label\n路灯坏了,城市管理局\n停水了,公用事业服务中心\n", encoding="utf-8"
    )
    return workdir


def assert_one_line(outcome: Outcome, fragment: str) -> None:
    assert outcome.code != 0, outcome.out
    assert len(outcome.err_lines) == 1, outcome.err
    assert fragment in outcome.err_lines[0], outcome.err
    assert "Traceback" not in outcome.out + outcome.err
    assert SECRET not in outcome.out + outcome.err


@pytest.mark.parametrize("args", BEFORE_DB_INIT, ids=" ".join)
def test_before_db_init_every_command_says_so_and_creates_nothing(
    minyi: Minyi, environment: Path, args: list[str]
) -> None:
    assert_one_line(minyi(*args), NOT_INITIALISED)
    assert not (environment / "data").exists()
    assert not (environment / "t.csv").exists()


def test_check_before_db_init_reports_the_rest(minyi: Minyi, environment: Path) -> None:
    checked = minyi("check")
    assert_one_line(checked, "项检查未通过")
    assert f"✗ 数据库还没有初始化（data/minyi.sqlite3 不存在）：{NOT_INITIALISED}" in checked.out
    assert "✓ 模型" in checked.out
    assert "✗ 连不上 Telegram" in checked.out
    assert "○ 人员：跳过" in checked.out
    assert not (environment / "data").exists()


@pytest.mark.parametrize(
    ("args", "variables", "fragment"), MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES]
)
def test_a_mistake_is_one_line(
    minyi: Minyi,
    environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    variables: dict[str, str],
    fragment: str,
) -> None:
    assert minyi("db", "init").code == 0
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert_one_line(minyi(*args), fragment)


def test_debug_shows_the_traceback_without_the_token(
    minyi: Minyi, environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    minyi("db", "init")
    monkeypatch.setenv("MINYI_MODEL", str(environment))
    plain = minyi("db", "upgrade", "--revision", "nonsense")
    debug = minyi("--debug", "db", "upgrade", "--revision", "nonsense")
    assert "Traceback" not in plain.err
    assert "Traceback" in debug.err
    assert debug.err_lines[-1] == plain.err_lines[0]
    assert SECRET not in debug.err


def test_the_console_script_exports_nothing_before_db_init(environment: Path) -> None:
    """The issue's case, as an operator meets it: the real `minyi`, in a fresh folder."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("minyi")), *BEFORE_DB_INIT[8]],
        cwd=environment,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"错误: 数据库还没有初始化（data/minyi.sqlite3 不存在）：{NOT_INITIALISED}"
    ]
    assert not (environment / "data").exists()
