"""The lifecycle diagram in docs/architecture.md is the one generated from the table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from storage import lifecycle

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"^## Ticket lifecycle\n(.*?)(?=^## |\Z)", re.DOTALL | re.MULTILINE)
MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_architecture_shows_the_generated_diagram() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = SECTION.search(text)
    assert section is not None, "no 'Ticket lifecycle' section"
    assert MERMAID.findall(section.group(1)) == [lifecycle.diagram() + "\n"], (
        "regenerate the diagram: python -m storage.lifecycle"
    )
    assert "python -m storage.lifecycle" in section.group(1)


def test_the_module_prints_the_diagram() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "storage.lifecycle"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout == lifecycle.diagram() + "\n"
