"""Every shell block marked `sh tested` in the README and docs/ runs, in order, and succeeds."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import POSTGRES_ADMIN_DSN

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```sh tested\n(.*?)^```", re.DOTALL | re.MULTILINE)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PER_DEPARTMENT = 30


def blocks(path: Path) -> list[str]:
    """The tested shell blocks of a document."""
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def write_history(path: Path) -> None:
    """A district's 'history' export with Chinese headers, from the project's own corpus."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["编号", "内容", "承办部门"])
        for corpus in sorted((ROOT / "classifiers" / "corpus").glob("*.csv")):
            with corpus.open(encoding="utf-8") as handle:
                for i, row in enumerate(csv.DictReader(handle)):
                    if i >= PER_DEPARTMENT:
                        break
                    writer.writerow([f"H{i:04d}", row["text"], row["label"]])


async def _database(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def test_documents_have_tested_blocks() -> None:
    assert len(blocks(ROOT / "README.md")) >= 5


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_tested_blocks_run(document: Path, tmp_path: Path) -> None:
    found = blocks(document)
    if not found:
        pytest.skip(f"{document.name} has no tested blocks")
    write_history(tmp_path / "history.csv")
    name = f"minyi_docs_{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_database(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "MINYI_", "DATABASE_"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    try:
        for block in found:
            script = block.replace(
                "postgres@127.0.0.1:5432/minyi", f"postgres@127.0.0.1:5432/{name}"
            )
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"{block}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            assert "Traceback" not in done.stdout + done.stderr, block
    finally:
        asyncio.run(_database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
