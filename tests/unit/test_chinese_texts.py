"""Every text the bot shows people is Chinese: no Latin words, except what people type or read
as it is (ticket numbers, /commands, department codes in examples) and the exceptions below.

Two nets: every value of the text modules (module constants, dict values, names in the
vocabulary, the command menu), and every Chinese string literal of every module that talks to
people (it uses Telegram or a text module), so a text written inline in a handler is caught
too. Modules that only read what people type (patterns, words the bot recognises) are not
texts shown to anyone, and are left out by that rule.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest

from admin import texts as admin_texts
from bot import app as bot_app
from bot import texts as bot_texts
from delivery import texts as delivery_texts
from storage import vocabulary
from storage.district import read_district

ROOT = Path(__file__).resolve().parents[2]
TEXT_MODULES: tuple[ModuleType, ...] = (bot_texts, admin_texts, delivery_texts, vocabulary)
# Packages whose Chinese literals reach residents, staff or supervisors in Telegram (sandbox/
# and minyi/ are terminals for developers and operators, whose `:commands` are Latin).
PACKAGES = ("bot", "admin", "delivery", "storage")
# Importing one of these (or telegram) makes a module one that talks to people.
TEXT_MODULE_NAMES = frozenset(
    {"bot.texts", "admin.texts", "delivery.texts", "storage.vocabulary", "telegram"}
)
# Operators' terminal tools, bilingual on purpose (their options and outputs are English too);
# they never answer anyone in Telegram.
OPERATOR_MODULES = frozenset(
    {
        "admin/cli.py",
        "admin/cli_common.py",
        "admin/cli_model.py",
        "admin/cli_register.py",
        "admin/cli_reports.py",
        "admin/cli_retrain.py",
        "admin/cli_templates.py",
        "admin/cli_knowledge.py",
        "admin/cli_texts.py",
        "bot/cli.py",
        "bot/preflight.py",
    }
)
# Latin words kept on purpose, each with its reason.
DELIBERATE = {
    "Telegram": "the app's own name, as residents see it on their phones (bot/texts.py WELCOME)",
    "ID": "what Telegram calls a user's number; admins copy it from there (/members)",
    "remove": "the /members and /templates subcommand, written as the admin types it",
    "add": "the /templates subcommand, written as the admin types it",
}

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
FIELD = re.compile(r"\{[^{}]*\}")  # str.format fields: {number}, {due:%m-%d}
NUMBER = re.compile(r"\bTB-\d{8}-\d{4}\b")
COMMAND = re.compile(r"/[a-z_]+\b")  # /status, /claim …
OPTION = re.compile(r"(?<!\w)--[a-z][a-z-]*")  # `minyi` options named in its own outputs
OPERATOR_COMMAND = re.compile(r"\bminyi(?: [a-z][a-z-]*)+")  # `minyi members add` in a hint


def department_codes() -> frozenset[str]:
    """The default district's codes: written in examples next to a command."""
    return frozenset(read_district().codes)


def latin_words(text: str) -> list[str]:
    """The Latin words of a text once the allowed tokens are taken out."""
    bare = FIELD.sub(" ", text)
    bare = NUMBER.sub(" ", bare)
    example = COMMAND.search(bare) is not None
    bare = COMMAND.sub(" ", bare)
    bare = OPTION.sub(" ", bare)
    bare = OPERATOR_COMMAND.sub(" ", bare)
    codes = department_codes() if example else frozenset()
    return [
        word for word in LATIN_WORD.findall(bare) if word not in DELIBERATE and word not in codes
    ]


def values(value: object) -> Iterator[str]:
    """Every string inside a constant: mappings by value (keys are internal), sequences,
    dataclasses (a status's two names)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from values(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from values(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from values(getattr(value, field.name))


def module_texts() -> Iterator[tuple[str, str]]:
    for module in TEXT_MODULES:
        for name, value in vars(module).items():
            if name.startswith("_") or isinstance(value, ModuleType) or callable(value):
                continue
            for text in values(value):
                yield f"{module.__name__}.{name}", text
    for command in (*bot_app.RESIDENT_COMMANDS, *bot_app.STAFF_COMMANDS):
        yield f"bot.app command {command.command}", command.description
    for department in read_district().departments:
        yield f"department {department.code}", department.name
    yield "dispatch desk", read_district().dispatch.name


def talks_to_people(tree: ast.Module) -> bool:
    """Whether a module imports telegram or a text module (so it composes what people see)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        if any(n.split(".")[0] == "telegram" or n in TEXT_MODULE_NAMES for n in names):
            return True
    return False


def literal_texts() -> Iterator[tuple[str, str]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            if where in OPERATOR_MODULES or "/migrations/" in where:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if not talks_to_people(tree) and path.stem != "texts":
                continue
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(
                    node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                )
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and CJK.search(node.value)
                ):
                    yield f"{where}:{node.lineno}", node.value


def test_no_latin_words_in_the_text_modules() -> None:
    found = {where: words for where, text in module_texts() if (words := latin_words(text))}
    assert found == {}


def test_no_latin_words_in_chinese_literals_anywhere() -> None:
    found = {where: words for where, text in literal_texts() if (words := latin_words(text))}
    assert found == {}


def test_the_nets_catch_something() -> None:
    assert sum(1 for _ in module_texts()) > 200
    assert sum(1 for _ in literal_texts()) > 200


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("抱歉，日报和统计仅限督查人员（supervisor）查看。", ["supervisor"]),
        ("日期格式应为 YYYY-MM-DD", ["YYYY", "MM", "DD"]),
        ("用法：/dispatch TB-20261124-0001 urban", []),
        ("请回复 urban 或 housing", ["urban", "housing"]),  # a code only in an example
        ("📮 编号：{number}，时限 {due:%m-%d %H:%M}", []),
        ("（演练模式；加 --apply 执行）", []),
        ("不会公开您的 Telegram 账号", []),
        ("已转给 dispatch desk", ["dispatch", "desk"]),
    ],
)
def test_what_counts_as_a_latin_word(text: str, words: list[str]) -> None:
    assert latin_words(text) == words


# --- the operator's command line ----------------------------------------------------------
# Words an operator types or looks up as they are: subcommands named beside their Chinese
# gloss, role codes, file formats, and the names of tools and measures.
OPERATOR_WORDS = frozenset(
    {
        *("init", "upgrade", "load", "bind", "list", "add", "remove", "set-role", "history"),
        *("train", "evaluate", "predict", "retrain", "tickets", "digest", "head", "help"),
        *("staff", "dispatcher", "supervisor", "admin", "collector", "csv", "xlsx"),
        *("import", "export", "register", "templates", "knowledge"),
        *("CSV", "XLSX", "PNG", "TOML", "UTF", "GBK", "Excel", "SHA", "F1", "macro"),
        *("Telegram", "ID", "token", "traceback", "webhook", "YYYY", "MM", "DD"),
    }
)
ENVIRONMENT_VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
FILE_NAME = re.compile(r"\b[\w.-]+\.(?:json|toml|skops|npz|csv|xlsx)\b")


def operator_latin_words(text: str) -> list[str]:
    """Latin words of an operator's text beyond codes, options, variables and OPERATOR_WORDS."""
    bare = ENVIRONMENT_VARIABLE.sub(" ", FILE_NAME.sub(" ", text))
    bare = re.sub(r"\bset-role\b", " ", bare)
    codes = department_codes()
    return [word for word in latin_words(bare) if word not in OPERATOR_WORDS | codes]


def command_help() -> Iterator[tuple[str, str]]:
    """Every command's and parameter's help in `minyi`, as `minyi X --help` shows it."""
    from minyi.cli import COMMANDS, app, load_command

    def walk(command: object, path: str) -> Iterator[tuple[str, str]]:
        yield path, str(getattr(command, "help", "") or "")
        for param in getattr(command, "params", []):
            yield f"{path} {'/'.join(param.opts)}", str(getattr(param, "help", "") or "")
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    yield "minyi", str(app.info.help)
    for name in COMMANDS:
        yield from walk(load_command(name), f"minyi {name}")


def operator_texts() -> Iterator[tuple[str, str]]:
    from admin import cli_help_texts, cli_model_texts

    for module in (cli_help_texts, cli_model_texts):
        for name, value in vars(module).items():
            if not name.startswith("_") and isinstance(value, str) and name.isupper():
                yield f"{module.__name__}.{name}", value


def test_every_command_and_option_is_explained_in_chinese() -> None:
    helps = dict(command_help())
    assert len(helps) > 80
    assert {where for where, text in helps.items() if not CJK.search(text)} == set()
    found = {where: words for where, text in helps.items() if (words := operator_latin_words(text))}
    assert found == {}


def test_the_model_commands_and_progress_speak_chinese() -> None:
    found = {
        where: words for where, text in operator_texts() if (words := operator_latin_words(text))
    }
    assert found == {}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("训练数据 CSV/XLSX", []),
        ("交叉验证的折数（0 = 不算）", []),
        ("the file to write", ["the", "file", "to", "write"]),
        ("改用 webhook：公网地址", []),
        ("读取 read 20 条 rows from", ["read", "rows", "from"]),
        ("默认 MINYI_MODEL，见 metadata.json", []),
    ],
)
def test_what_counts_as_a_latin_word_for_the_operator(text: str, words: list[str]) -> None:
    assert operator_latin_words(text) == words
