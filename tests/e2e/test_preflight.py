"""`minyi check` and the checks `minyi run` passes first, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from admin.settings import DEFAULT_MODEL
from emulator import Chat, Emulator, EmulatorServer, Limits, Person
from storage.district import read_district
from tests.command_line import Minyi, Outcome

WRONG_TOKEN = "5000000001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
async def server(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EmulatorServer]:
    """The emulator over HTTP, with the token and base URL set for the command line."""
    emu = Emulator(limits=Limits(enforce_rates=False))
    async with EmulatorServer(emu) as running:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", emu.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", running.base_url)
        yield running
    await emu.close()


async def call(minyi: Minyi, *args: str) -> Outcome:
    """A command in a thread (it runs its own event loop), while the emulator serves here."""
    return await asyncio.to_thread(minyi, *args)


def lines(outcome: Outcome, mark: str) -> list[str]:
    return [line for line in outcome.out.splitlines() if line.startswith(mark)]


def line_about(outcome: Outcome, code: str) -> str:
    found = [line for line in outcome.out.splitlines() if f"({code})" in line]
    assert len(found) == 1, outcome.out
    return found[0]


def assert_one_line_error(outcome: Outcome, *fragments: str) -> None:
    assert outcome.code != 0
    assert len(outcome.err_lines) == 1, outcome.err
    for fragment in fragments:
        assert fragment in outcome.err
    assert "Traceback" not in outcome.out + outcome.err
    assert WRONG_TOKEN.split(":")[1] not in outcome.out + outcome.err


async def bind(minyi: Minyi, code: str, chat: Chat, *, forum: bool) -> None:
    bound = await call(minyi, "departments", "bind", code, str(chat.id), *(["--forum"] * forum))
    assert bound.code == 0, bound.err


async def add(minyi: Minyi, person: Person, role: str, code: str | None = None) -> None:
    where = ["--department", code] if code else []
    added = await call(minyi, "members", "add", str(person.id), "--role", role, *where)
    assert added.code == 0, added.err


async def complete_district(emu: Emulator, minyi: Minyi) -> None:
    """Every department and the dispatch desk in its group with the bot as admin, people too."""
    for spec in read_district().all():
        clerk = emu.add_user(f"{spec.name}科员")
        chat = emu.add_supergroup(f"{spec.name}群", forum=not spec.is_dispatch, members=[clerk])
        await bind(minyi, spec.code, chat, forum=not spec.is_dispatch)
        if spec.is_dispatch:
            await add(minyi, clerk, "dispatcher")
        else:
            await add(minyi, clerk, "staff", spec.code)
    await add(minyi, emu.add_user("督查室"), "supervisor")
    await add(minyi, emu.add_user("管理员"), "admin")


@pytest.fixture
def names_model(workdir: Path) -> Path:
    """The shipped model, relabelled with a department's name instead of its code."""
    model = workdir / "names-model"
    shutil.copytree(DEFAULT_MODEL, model)
    metadata = json.loads((model / "metadata.json").read_text(encoding="utf-8"))
    metadata["labels"] = ["城市管理局" if x == "urban" else x for x in metadata["labels"]]
    (model / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False), "utf-8")
    return model


async def test_check_on_a_fresh_district_says_what_to_do(
    server: EmulatorServer, minyi: Minyi
) -> None:
    assert (await call(minyi, "db", "init")).code == 0
    checked = await call(minyi, "check")
    assert checked.code == 1
    assert checked.err_lines == ["错误: 3 项检查未通过：按 ✗ 行的提示处理后再运行 `minyi check`"]
    assert "✓ Telegram：token 有效，机器人 @minyi_bot" in checked.out
    assert line_about(checked, "dispatch").startswith("✗")
    assert "/bind dispatch" in line_about(checked, "dispatch")
    assert line_about(checked, "urban").startswith("⚠ 城市管理局 (urban) 未绑定工作群")
    assert "✗ 还没有调度员" in checked.out
    assert "✗ 还没有督查人员" in checked.out
    assert "⚠ 还没有管理员" in checked.out
    assert server.emulator.token.split(":")[1] not in checked.out + checked.err


async def test_check_passes_on_a_complete_district(server: EmulatorServer, minyi: Minyi) -> None:
    await call(minyi, "db", "init")
    await complete_district(server.emulator, minyi)
    checked = await call(minyi, "check")
    assert checked.code == 0, checked.out
    assert lines(checked, "✗") == []
    assert lines(checked, "⚠") == []
    assert len(lines(checked, "✓")) == 7 + 14 + 1  # settings…Telegram, 14 groups, people
    assert "话题模式，机器人是管理员、可管理话题；工作人员 1 人" in line_about(checked, "urban")
    assert "调度员 1 人" in line_about(checked, "dispatch")
    assert checked.out.rstrip().endswith("检查通过，可以运行 `minyi run`。")
    assert checked.err == ""


async def test_check_names_each_group_problem(server: EmulatorServer, minyi: Minyi) -> None:
    emu = server.emulator
    await call(minyi, "db", "init")
    await complete_district(emu, minyi)
    no_rights = emu.add_supergroup("城管局群", forum=True)
    no_rights.members[emu.bot.id].can_manage_topics = False
    await bind(minyi, "urban", no_rights, forum=True)
    not_admin = emu.add_supergroup("住建局群", forum=True, bot_admin=False)
    await bind(minyi, "housing", not_admin, forum=True)
    plain = emu.add_supergroup("交通局群")
    await bind(minyi, "transport", plain, forum=True)
    kicked = emu.add_supergroup("公安群", forum=True)
    emu.kick_bot(kicked)
    await bind(minyi, "police", kicked, forum=True)
    old = emu.add_supergroup("民政局群")
    upgraded = emu.upgrade_group(old, forum=True)
    await bind(minyi, "civil", old, forum=True)
    await bind(minyi, "labor", emu.add_supergroup("人社局群", forum=True), forum=False)
    gone = await call(minyi, "departments", "bind", "market", "-1001234567890", "--forum")
    assert gone.code == 0

    checked = await call(minyi, "check")
    assert checked.code == 1
    assert "没有“管理话题”权限" in line_about(checked, "urban")
    assert "不是群「住建局群」的管理员" in line_about(checked, "housing")
    assert "没有开启话题" in line_about(checked, "transport")
    assert "不在群" in line_about(checked, "police")
    assert f"已升级为超级群 {upgraded.id}" in line_about(checked, "civil")
    assert f"departments bind civil {upgraded.id} --forum" in line_about(checked, "civil")
    assert line_about(checked, "labor").startswith("⚠")
    assert "--forum" in line_about(checked, "labor")
    assert "找不到群 -1001234567890" in line_about(checked, "market")
    assert len(lines(checked, "✗")) == 6
    assert len(checked.err_lines) == 1


async def test_run_refuses_a_model_that_does_not_fit_before_asking_telegram(
    server: EmulatorServer, minyi: Minyi, names_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await call(minyi, "db", "init")
    monkeypatch.setenv("MINYI_MODEL", str(names_model))
    ran = await call(minyi, "run")
    assert_one_line_error(ran, "✗ 模型的标签与部门不一致（缺 urban；多出 城市管理局）")
    assert sum(server.emulator.counters.calls.values()) == 0
    checked = await call(minyi, "check")
    assert "✗ 模型的标签与部门不一致" in checked.out
    assert "✓ Telegram" in checked.out  # check goes on to report the rest


async def test_run_refuses_a_rejected_token_without_printing_it(
    server: EmulatorServer, minyi: Minyi, monkeypatch: pytest.MonkeyPatch
) -> None:
    await call(minyi, "db", "init")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", WRONG_TOKEN)
    ran = await call(minyi, "run")
    assert_one_line_error(ran, "Telegram 拒绝了 TELEGRAM_BOT_TOKEN", "@BotFather")


async def test_run_says_when_telegram_is_unreachable(
    server: EmulatorServer, minyi: Minyi, monkeypatch: pytest.MonkeyPatch
) -> None:
    await call(minyi, "db", "init")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/bot"
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", closed)
    ran = await call(minyi, "run")
    assert_one_line_error(ran, "连不上 Telegram", closed, "代理")


async def test_minyi_run_starts_with_warnings_and_answers(
    server: EmulatorServer, minyi: Minyi, workdir: Path
) -> None:
    """The real console script: the checks, the warnings, then a resident is answered."""
    await call(minyi, "db", "init")
    emu = server.emulator
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("minyi")),
        "run",
        cwd=workdir,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await emu.wait_until(lambda: emu.counters.calls["getUpdates"] > 0, timeout=60)
        alice = emu.add_user("王阿姨")
        await alice.send_text(alice.private_chat, "/start")
        await emu.wait_for_message(alice.private_chat, timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    said = out.decode()
    assert process.returncode == 0, err.decode()
    assert "✓ Telegram：token 有效" in said
    assert "⚠ 区民意调度中心 (dispatch) 未绑定工作群" in said
    assert "照常启动" in said
    assert "Traceback" not in said + err.decode()
    assert emu.token.split(":")[1] not in said + err.decode()
