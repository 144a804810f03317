"""Segmentation and classification throughput on short texts: jieba, rjieba and the model.

Usage:
    .venv/bin/python benchmarks/segmentation.py [DATA.csv ...] [--chars 20] [--count 50000]
        [--runs 3] [--cli] [--keep-input FILE.csv]

Short texts are consecutive pieces of `--chars` characters of every text of DATA (a CSV with a
`text` column; the shipped corpus by default), repeated up to `--count`. In this process, the
best of `--runs` rates (texts/s) of: stock `jieba.lcut` (its defaults), `jieba.lcut` without HMM,
the project's two segmenters (jieba, the reference, and rjieba), and the default model's
`predict_batch` through each; and how many texts the two segmenters cut alike.

`--cli` also times whole processes, the median of `--runs`: `python -m minyi model predict` on
those texts (start-up, model loading and CSV writing included) against a stock process that
imports jieba and runs `jieba.lcut` on the same texts. `--keep-input` saves the texts, to time
another checkout's command on them.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import segmentation  # noqa: E402
from classifiers.artifact import default_model_path, load_model  # noqa: E402

STOCK_JIEBA = """
import csv, sys, warnings
warnings.filterwarnings("ignore")
import jieba
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    texts = [row["text"] for row in csv.DictReader(handle)]
for text in texts:
    jieba.lcut(text)
"""


def read_texts(paths: Sequence[Path]) -> list[str]:
    """The `text` column of every CSV."""
    texts: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle))
    return texts


def short_texts(texts: Sequence[str], chars: int, count: int) -> list[str]:
    """Consecutive `chars`-character pieces of the texts, repeated up to `count`."""
    pieces = [text[i : i + chars] for text in texts for i in range(0, len(text) - chars + 1, chars)]
    pieces = [p for p in pieces if p.strip()]
    return (pieces * (count // max(1, len(pieces)) + 1))[:count]


def best_rate(work: Callable[[], object], count: int, runs: int) -> int:
    """Texts per second of the fastest of `runs` runs."""
    best = float("inf")
    for _ in range(runs):
        begin = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - begin)
    return round(count / best)


def median_seconds(command: list[str], runs: int) -> float:
    """Median wall time of a whole process."""
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - begin)
    return round(statistics.median(times), 2)


def in_process(texts: list[str], runs: int) -> dict[str, Any]:
    """Rates of the segmenters and the model in this process."""
    jieba = segmentation._import_jieba()
    jieba.setLogLevel(30)
    jieba.initialize()
    userdict = segmentation.default_userdict_path()
    reference = segmentation.new_segmenter(userdict, fast=False)
    fast = segmentation.new_segmenter(userdict)
    model = load_model(default_model_path())
    result: dict[str, Any] = {
        "fast_segmenter": fast.name,
        "same_tokens": sum(fast.cut(t) == reference.cut(t) for t in texts),
        "texts_per_s": {
            "stock_jieba_lcut": best_rate(lambda: [jieba.lcut(t) for t in texts], len(texts), runs),
            "jieba_lcut_no_hmm": best_rate(
                lambda: [jieba.lcut(t, HMM=False) for t in texts], len(texts), runs
            ),
        },
    }
    rates = result["texts_per_s"]
    for segmenter in (reference, fast):
        rates[f"segment_{segmenter.name}"] = best_rate(
            lambda s=segmenter: [s.cut(t) for t in texts], len(texts), runs
        )
        segmentation._segmenter = segmenter
        rates[f"model_predict_batch_{segmenter.name}"] = best_rate(
            lambda: model.predict_batch(texts), len(texts), runs
        )
    return result


def whole_processes(input_csv: Path, count: int, runs: int) -> dict[str, Any]:
    """Median wall seconds and texts/s of `minyi model predict` and of stock jieba."""
    with tempfile.TemporaryDirectory(prefix="minyi-seg-") as folder:
        out = Path(folder) / "predicted.csv"
        model = [sys.executable, "-m", "minyi", "model", "predict", "--model"]
        cli = [*model, str(default_model_path()), "--input", str(input_csv), "--out", str(out)]
        cli_s = median_seconds(cli, runs)
    stock_s = median_seconds([sys.executable, "-c", STOCK_JIEBA, str(input_csv)], runs)
    return {
        "minyi_model_predict": {"median_s": cli_s, "texts_per_s": round(count / cli_s)},
        "stock_jieba_lcut_process": {"median_s": stock_s, "texts_per_s": round(count / stock_s)},
        "ratio_cli_to_stock_jieba": round(stock_s / cli_s, 2),
    }


def main() -> None:
    """Run and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("data", nargs="*", type=Path)
    parser.add_argument("--chars", type=int, default=20)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="also time whole processes")
    parser.add_argument("--keep-input", type=Path, help="save the short texts as a CSV")
    args = parser.parse_args()
    corpus = sorted(Path(segmentation.__file__).with_name("corpus").glob("*.csv"))
    texts = short_texts(read_texts(args.data or corpus), args.chars, args.count)
    result: dict[str, Any] = {
        "benchmark": "segmentation",
        "data": [p.name for p in args.data] or ["classifiers/corpus"],
        "texts": len(texts),
        "chars": args.chars,
        **in_process(texts, args.runs),
    }
    with tempfile.TemporaryDirectory(prefix="minyi-seg-") as folder:
        input_csv = args.keep_input or Path(folder) / "short.csv"
        with input_csv.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text"])
            writer.writerows([t] for t in texts)
        if args.cli:
            result["whole_process"] = whole_processes(input_csv, len(texts), args.runs)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
