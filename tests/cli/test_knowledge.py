"""`minyi knowledge` and the default base `minyi db init` loads into an empty one."""

from __future__ import annotations

from pathlib import Path

from tests.command_line import Minyi


def test_db_init_loads_the_default_base_once_and_export_round_trips(
    minyi: Minyi, workdir: Path
) -> None:
    assert minyi("db", "init").code == 0
    listed = minyi("knowledge", "list").out.splitlines()
    assert len(listed) == 25
    assert "[file] 居住证怎么办理？" in listed[0]
    assert minyi("db", "init").code == 0  # again: nothing doubles
    assert len(minyi("knowledge", "list").out.splitlines()) == 25
    exported = minyi("knowledge", "export", "base.toml")
    assert "已导出知识库 25 条" in exported.out
    again = minyi("knowledge", "import", "base.toml")
    assert "知识库新增 0 条（文件 25 条" in again.out
    (workdir / "more.toml").write_text(
        '[[entry]]\nquestion = "图书馆几点开门？"\nanswer = "区图书馆 9:00 开门。"\n',
        encoding="utf-8",
    )
    assert "新增 1 条" in minyi("knowledge", "import", "more.toml").out
    bad = minyi("knowledge", "import", "missing.toml")
    assert bad.code != 0


def test_an_entry_with_several_phrasings_lists_its_first_and_exports_them_all(
    minyi: Minyi, workdir: Path
) -> None:
    (workdir / "phrased.toml").write_text(
        '[[entry]]\nquestion = "图书馆几点开门？"\nquestions = ["图书馆周末开不开？"]\n'
        'answer = "区图书馆每天 9:00 开门。"\n',
        encoding="utf-8",
    )
    assert minyi("db", "init").code == 0
    assert "新增 1 条" in minyi("knowledge", "import", "phrased.toml").out
    listed = minyi("knowledge", "list").out.splitlines()[-1]
    assert "图书馆几点开门？" in listed
    assert "周末" not in listed
    assert minyi("knowledge", "export", "out.toml").code == 0
    exported = (workdir / "out.toml").read_text(encoding="utf-8")
    assert 'questions = ["图书馆周末开不开？"]' in exported
