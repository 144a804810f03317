"""`minyi demo`, the README's first command, runs the whole story as a newcomer would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_minyi_demo_runs_end_to_end(tmp_path: Path) -> None:
    minyi = Path(sys.executable).with_name("minyi")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    done = subprocess.run(
        [str(minyi), "demo", "--workdir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "[12/12]" in out
    assert "已办结" in out
    assert "群众评价不满意，已重新交办" in out
    assert "民意直通车日报" in out
    assert "已分派至 街道社区服务中心" in out
    assert "已登记并现场解答" in out  # the collector's visit day
    assert "您已关注诉求" in out
    assert "首问跟办" in out
    assert "已销号" in out
    assert "▪ 入户走访：收集 2，直办 1" in out  # the digest's channels
    assert "▪ 市直第一民情书记队：已走访 1/" in out
    assert "Traceback" not in out + done.stderr
    chart = tmp_path / "demo" / "digest.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert f"日报图表已保存：{chart}" in out
