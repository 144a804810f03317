"""`minyi templates`: departments' standard answers (答复口径) from the command line."""

from __future__ import annotations

from tests.command_line import Minyi


def test_add_list_and_remove_standard_answers(minyi: Minyi) -> None:
    assert minyi("db", "init").code == 0
    assert "还没有答复模板" in minyi("templates", "list").out
    added = minyi(
        "templates",
        "add",
        "城市管理局",
        "路灯维修",
        "已安排维修，三个工作日内修好。",
        "--code",
        "已解决",
    )
    assert added.code == 0, added.err
    assert "已添加答复模板 1：路灯维修（urban）" in added.out
    again = minyi("templates", "add", "urban", "路灯维修", "另一段")
    assert again.code != 0
    assert "已有标题为「路灯维修」的模板" in again.err
    wrong = minyi("templates", "add", "urban", "转走", "不归我们", "--code", "非本部门职责")
    assert wrong.code != 0
    assert "办结类型应为" in wrong.err
    listed = minyi("templates", "list", "urban").out
    assert "路灯维修（已解决）：已安排维修" in listed
    assert minyi("templates", "list", "housing").out.startswith("还没有答复模板")
    assert "已删除答复模板 1" in minyi("templates", "remove", "1").out
    missing = minyi("templates", "remove", "1")
    assert missing.code != 0
    assert "没有编号为 1 的答复模板" in missing.err
