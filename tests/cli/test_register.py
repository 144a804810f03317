"""`minyi import register` and `minyi export register`: a team's paper register (GBK CSV or
xlsx) comes in with bad rows named by row number, once, and goes back out in the same shape."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from tests.command_line import Minyi

TEAM = "市直第一民情书记队"
REGISTER = [
    ["序号", "走访日期", "社区", "群众", "诉求内容", "渠道", "承办部门", "办理情况", "是否销号"],
    ["1", "2026年10月5日", "荷韵社区", "张大爷", "楼道灯不亮", "入户走访", "", "现场解答", "是"],
    [
        "2",
        "2026/10/5",
        "荷韵社区",
        "李阿姨",
        "电梯经常停",
        "入户",
        "住房和城乡建设局",
        "已办结",
        "是",
    ],
    ["3", "2026-10-15", "荷韵社区", "", "小区门口占道经营", "电话", "urban", "在办", "否"],
    ["4", "十月五日", "荷韵社区", "王叔", "想问养老补贴", "座谈", "", "现场解答", "是"],
    [
        "5",
        "2026-10-25",
        "荷韵社区",
        "赵奶奶",
        "垃圾清运不及时",
        "飞鸽传书",
        "城管委",
        "已办结",
        "否",
    ],
]


def test_a_gbk_register_comes_in_once_and_goes_back_out_in_its_shape(
    minyi: Minyi, workdir: Path
) -> None:
    assert minyi("db", "init").code == 0
    source = workdir / "台账.csv"
    with source.open("w", encoding="gbk", newline="") as handle:
        csv.writer(handle).writerows(REGISTER)
    imported = minyi("import", "register", str(source), "--team", TEAM)
    assert imported.code == 0, imported.err
    assert f"已导入 {TEAM} 的台账 3 条（2 行有问题未导入" in imported.out
    assert "第 5 行未导入：日期「十月五日」无法识别" in imported.err
    assert "第 6 行未导入：渠道「飞鸽传书」无法识别" in imported.err
    assert "承办部门「城管委」不在部门表中" in imported.err
    again = minyi("import", "register", str(source), "--team", TEAM)
    assert again.code == 2
    assert "已经导入过" in again.err

    out = workdir / "register.xlsx"
    exported = minyi(
        "export", "register", "--team", TEAM, "--from", "2026-10-01", "--to", "2026-12-31",
        "--out", str(out),
    )  # fmt: skip
    assert exported.code == 0, exported.err
    sheet = load_workbook(out, read_only=True).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == REGISTER[0]
    assert rows[1:] == [
        [1, "2026-10-05", "荷韵社区", "张大爷", "楼道灯不亮", "入户走访", None, "现场解答", "是"],
        [2, "2026-10-05", "荷韵社区", "李阿姨", "电梯经常停", "入户走访", "住房和城乡建设局",
         "已办结", "是"],
        [3, "2026-10-15", "荷韵社区", "匿名", "小区门口占道经营", "电话", "城市管理局", "在办",
         "否"],
    ]  # fmt: skip
    csv_out = workdir / "register.csv"
    as_csv = minyi(
        "export", "register", "--team", TEAM, "--from", "2026-10-01", "--to", "2026-12-31",
        "--out", str(csv_out), "--format", "csv",
    )  # fmt: skip
    assert as_csv.code == 0, as_csv.err
    back = minyi("import", "register", str(csv_out), "--team", "市直第二民情书记队")
    assert back.code == 0, back.err  # the export reads back in (here as another team's)
    assert "台账 3 条（0 行有问题" in back.out
