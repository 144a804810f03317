"""Precision of the knowledge base's match on held-out questions, at several thresholds.

Usage: python benchmarks/knowledge.py [--set tests/data/knowledge_heldout.toml]
Builds the matcher over storage/knowledge.toml (every phrasing of an entry, and its answer)
and, for each threshold, counts the answers given
(best match at or above it), the correct ones (the expected entry), the wrong ones (another
entry, or any answer to a message that has none), and the answerable questions missed. Prints
one JSON object: precision = correct ÷ answered, recall = correct ÷ answerable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.understanding import is_question
from classifiers import segmentation
from classifiers.knowledge import DEFAULT_THRESHOLD, KnowledgeMatcher

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "tests/data/knowledge_heldout.toml")
    parser.add_argument("--base", type=Path, default=ROOT / "storage/knowledge.toml")
    args = parser.parse_args()
    entries = tomllib.loads(args.base.read_text(encoding="utf-8"))["entry"]
    questions = tomllib.loads(args.set.read_text(encoding="utf-8"))["question"]
    segmentation.initialize()
    ids = {entry["question"]: number for number, entry in enumerate(entries, 1)}
    matcher = KnowledgeMatcher(
        [
            (ids[e["question"]], q)
            for e in entries
            for q in [e["question"], *e.get("questions", [])]
        ],
        answers={ids[e["question"]]: e["answer"] for e in entries},
    )
    started = time.perf_counter()
    best = [
        (matcher.best(q["text"]), ids.get(q["expected"]), is_question(q["text"])) for q in questions
    ]
    seconds = time.perf_counter() - started
    answerable = sum(expected is not None for _, expected, _ in best)
    rows = []
    for gated in (False, True):  # the matcher alone; as the bot asks it (questions only)
        for threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
            answered = [
                (m, e)
                for m, e, asked in best
                if m is not None and m.score >= threshold and (asked or not gated)
            ]
            correct = sum(m.entry_id == e for m, e in answered)
            rows.append(
                {
                    "questions_only": gated,
                    "threshold": threshold,
                    "answered": len(answered),
                    "correct": correct,
                    "wrong": len(answered) - correct,
                    "precision": round(correct / len(answered), 3) if answered else None,
                    "recall": round(correct / answerable, 3) if answerable else None,
                }
            )
    print(
        json.dumps(
            {
                "set": str(args.set.relative_to(ROOT))
                if args.set.is_relative_to(ROOT)
                else str(args.set),
                "entries": len(entries),
                "questions": len(questions),
                "answerable": answerable,
                "shipped_threshold": DEFAULT_THRESHOLD,
                "ms_per_question": round(seconds / len(questions) * 1000, 3),
                "thresholds": rows,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
