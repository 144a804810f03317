"""`minyi members`: grant, change and take away roles, with the audit trail to show for it."""

from __future__ import annotations

from tests.command_line import Minyi

CLERK = "234567890"


def test_a_clerk_is_added_by_department_name_moved_and_removed(minyi: Minyi) -> None:
    assert minyi("db", "init").code == 0
    added = minyi("members", "add", CLERK, "--role", "staff", "--department", "城市管理局")
    assert added.code == 0, added.err
    assert f"已添加: {CLERK} staff @ urban" in added.out

    moved = minyi("members", "set-role", CLERK, "staff", "--department", "housing")
    assert moved.code == 0, moved.err
    assert "现在只有" in moved.out
    assert "staff @ housing" in moved.out
    assert "已移除" in moved.out
    assert "staff @ urban" in moved.out

    removed = minyi("members", "remove", CLERK)
    assert removed.code == 0, removed.err
    assert "已移除" in removed.out
    assert "立即生效" in removed.out
    assert "还没有人员" in minyi("members", "list").out

    history = minyi("members", "history", CLERK).out.splitlines()
    assert [line.split()[2] for line in history] == ["授予", "移除", "授予", "移除"]
    assert all(line.endswith("命令行") for line in history)


def test_remove_one_role_keeps_the_others(minyi: Minyi) -> None:
    minyi("db", "init")
    minyi("members", "add", CLERK, "--role", "staff", "--department", "urban")
    minyi("members", "add", CLERK, "--role", "supervisor")
    removed = minyi("members", "remove", CLERK, "--role", "supervisor")
    assert removed.code == 0, removed.err
    listed = minyi("members", "list").out
    assert "staff" in listed
    assert "supervisor" not in listed


def test_roles_and_departments_must_fit(minyi: Minyi) -> None:
    minyi("db", "init")
    dispatcher = minyi("members", "add", CLERK, "--role", "dispatcher", "--department", "urban")
    assert dispatcher.code != 0
    assert dispatcher.err_lines == ["错误: 调度员面向全区，不属于某个部门：去掉 --department"]
    unknown = minyi("members", "add", CLERK, "--role", "staff", "--department", "城管委")
    assert unknown.code != 0
    assert "可用的部门代码" in unknown.err
    assert "urban" in unknown.err
    nothing = minyi("members", "remove", CLERK)
    assert nothing.code != 0
    assert "没有这个角色" in nothing.err
    assert "还没有人员" in minyi("members", "list").out
    assert "还没有人员变动记录" in minyi("members", "history").out


def test_a_collector_joins_a_team_linked_to_its_community(minyi: Minyi) -> None:
    assert minyi("db", "init").code == 0
    missing = minyi("members", "add", CLERK, "--role", "collector")
    assert missing.code == 2
    assert "--team" in missing.err
    wrong = minyi(
        "members", "add", CLERK, "--role", "collector",
        "--team", "市直第一民情书记队", "--community", "许庄社区",
    )  # fmt: skip
    assert wrong.code == 2
    assert "市直第一民情书记队（荷韵社区）" in wrong.err
    added = minyi(
        "members", "add", CLERK, "--role", "collector", "--name", "老周",
        "--team", "市直第一民情书记队", "--community", "荷韵社区",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert f"已添加: {CLERK} collector @ 市直第一民情书记队（老周）" in added.out
