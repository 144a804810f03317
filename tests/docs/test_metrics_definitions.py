"""docs/metrics.md prints the definitions the digest, /stats and the chart use."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from storage import vocabulary

ROOT = Path(__file__).resolve().parents[2]
GENERATED = re.compile(
    r"<!-- generated: python -m storage.vocabulary -->\n(.*?)<!-- end generated -->", re.DOTALL
)


def test_the_docs_print_the_current_definitions() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    found = GENERATED.search(text)
    assert found is not None, "no generated table in docs/metrics.md"
    assert found.group(1) == vocabulary.definitions_table() + "\n", (
        "regenerate the table: python -m storage.vocabulary"
    )
    for key, name in vocabulary.METRIC_NAMES.items():
        assert f"| {name} | {vocabulary.METRIC_DEFINITIONS[key]} |" in found.group(1)


def test_the_module_prints_the_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "storage.vocabulary"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout == vocabulary.definitions_table() + "\n"
