"""`minyi sandbox`, driven through its stdin as an operator would type it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
北门那排路灯坏了一个多礼拜了，晚上黑漆漆的，老人出门很不安全
跳过
:press 1
:as staff urban
:press 7
:press 认领
/resolve 已解决 已修好
:as resident
:press 满意
:as supervisor
/digest
:nonsense
:press 1
:location north pole
:as staff nowhere
:quit
这一行在退出之后，不应被处理
"""


def _run(workdir: Path, script: str) -> subprocess.CompletedProcess[str]:
    minyi = Path(sys.executable).with_name("minyi")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [str(minyi), "sandbox", "--workdir", str(workdir)],
        input=script,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        env=env,
        check=False,
    )


def test_sandbox_walks_a_ticket_from_report_to_digest(tmp_path: Path) -> None:
    done = _run(tmp_path / "sandbox", SCRIPT)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in out + done.stderr

    number = re.search(r"编号：([A-Z]{1,8}-\d{8}-\d{4})", out)
    assert number is not None, out[-3000:]
    ticket = number.group(1)
    assert "已受理" in out
    # The place prompt's reply keyboard and the card's buttons, as numbered choices.
    assert "[1] 📍 发送当前位置 [2] 跳过" in out
    assert "[1] 认领 [2] 转办 [3] 办结" in out
    assert f"已认领 {ticket}" in out
    assert f"{ticket} 已办结（已解决）" in out  # the staff side
    assert "已修好" in out  # the resident's resolution message
    assert "[1] 满意 [2] 基本满意 [3] 不满意" in out
    assert "已办结归档" in out
    assert "民意直通车日报" in out
    assert "图片已保存" in out
    assert list((tmp_path / "sandbox" / "images").glob("*.png"))
    # Bad input gets a Chinese hint, and the session goes on to :quit.
    assert "没有这个沙盒命令：:nonsense" in out
    assert "没有第 7 个按钮，最近一条带按钮的消息共有 3 个" in out
    assert "最近显示的消息里没有可按的按钮" in out
    assert "用法：:location" in out
    assert "没有这个部门：nowhere" in out
    assert "不应被处理" not in out
    assert "已退出沙盒" in out


def test_sandbox_ends_at_end_of_input(tmp_path: Path) -> None:
    done = _run(tmp_path / "sandbox", ":help\n:as dispatcher\n:topic\n")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "沙盒命令" in done.stdout
    assert "只有部门工作人员的群里有诉求话题" in done.stdout
    assert "已退出沙盒" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_the_sandbox_plays_a_collector(tmp_path: Path) -> None:
    script = "\n".join(
        [
            ":as collector",
            "/record",
            ":press 电话",
            ":press 匿名",
            ":press 跳过",
            "楼下的路灯坏了好几天了",
            ":press 不留电话",
            ":press 1",
            "已告知物业当天修好",
            "/register",
            ":quit",
            "",
        ]
    )
    done = _run(tmp_path / "sandbox", script)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "现在您是「民情书记·老周」" in out
    assert "已登记并现场解答" in out
    assert "现场解答 1 件" in out
