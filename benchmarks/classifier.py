"""Benchmark of the routing model: accuracy, training/loading cost, latency, throughput, memory.

Usage: python benchmarks/classifier.py DATA.csv [--limit N] [--folds K] [--holdout 0.2]
Prints one JSON object. Serving figures are measured in a fresh process pinned to one core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Only what serving needs is imported here: the serve probe's memory is the bot's.
from classifiers.artifact import MODEL_FILE, SCORER_FILE, load_model, save_model
from classifiers.dataset import LabelledTexts, read_labelled_texts
from classifiers.segmentation import initialize


def _split(data: LabelledTexts, holdout: float, seed: int) -> tuple[LabelledTexts, LabelledTexts]:
    """Stratified split into (train, held-out)."""
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(data.labels):
        by_label.setdefault(label, []).append(i)
    rng = random.Random(seed)
    test: set[int] = set()
    for indices in by_label.values():
        rng.shuffle(indices)
        test.update(indices[: max(1, round(len(indices) * holdout))])

    def subset(keep: list[int]) -> LabelledTexts:
        return LabelledTexts(
            tuple(data.texts[i] for i in keep), tuple(data.labels[i] for i in keep)
        )

    everything = range(len(data.texts))
    return subset([i for i in everything if i not in test]), subset(sorted(test))


def _limit(data: LabelledTexts, limit: int | None, seed: int) -> LabelledTexts:
    if not limit or limit >= len(data.texts):
        return data
    order = list(range(len(data.texts)))
    random.Random(seed).shuffle(order)
    keep = sorted(order[:limit])
    return LabelledTexts(tuple(data.texts[i] for i in keep), tuple(data.labels[i] for i in keep))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _rss_mb(field: str) -> float:
    """Resident memory from /proc (VmHWM = peak; ru_maxrss would survive exec on Linux)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def serve_probe(model_dir: Path, texts_file: Path) -> dict[str, Any]:
    """Measure load time, latency, throughput and peak RSS in this (fresh) process."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts: list[str] = json.loads(texts_file.read_text(encoding="utf-8"))
    rss_before = _rss_mb("VmRSS:")
    start = time.perf_counter()
    initialize()
    model = load_model(model_dir)
    load_seconds = time.perf_counter() - start
    rss_loaded = _rss_mb("VmRSS:")
    long_texts = [t[:400] for t in texts if len(t) >= 400] or [(t * 20)[:400] for t in texts]
    short_texts = [t[:20] for t in texts if len(t) >= 20]
    for text in long_texts[:20]:
        model.predict(text)  # warm-up
    latencies = []
    for i in range(1000):
        text = long_texts[i % len(long_texts)]
        begin = time.perf_counter()
        model.predict(text)
        latencies.append((time.perf_counter() - begin) * 1000)
    short_batch = (short_texts * (20_000 // max(1, len(short_texts)) + 1))[:20_000]
    begin = time.perf_counter()
    model.predict_batch(short_batch)
    short_rate = len(short_batch) / (time.perf_counter() - begin)
    long_batch = (long_texts * (2_000 // max(1, len(long_texts)) + 1))[:2_000]
    begin = time.perf_counter()
    model.predict_batch(long_batch)
    long_rate = len(long_batch) / (time.perf_counter() - begin)
    return {
        "load_seconds": round(load_seconds, 3),
        "latency_ms_400_chars": {
            "p50": round(_percentile(latencies, 0.5), 3),
            "p99": round(_percentile(latencies, 0.99), 3),
        },
        "throughput_msgs_per_s": {
            "short_20_chars": round(short_rate),
            "long_400_chars": round(long_rate),
        },
        "rss_before_load_mb": rss_before,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": _rss_mb("VmHWM:"),
    }


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--serve-probe", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_probe:
        print(json.dumps(serve_probe(*args.serve_probe)))
        return
    from classifiers.evaluation import evaluate
    from classifiers.training import cross_validate, train_model

    initialize()
    data = _limit(read_labelled_texts(args.data), args.limit, args.seed)
    train, held_out = _split(data, args.holdout, args.seed)
    result: dict[str, Any] = {
        "data": args.data.name,
        "rows": len(data.texts),
        "train_rows": len(train.texts),
        "held_out_rows": len(held_out.texts),
    }
    if args.folds:
        begin = time.perf_counter()
        validation = cross_validate(train.texts, train.labels, folds=args.folds)
        result["cv_folds"] = validation.folds
        result["cv_macro_f1"] = round(validation.evaluation.macro_f1, 4)
        result["cv_accuracy"] = round(validation.evaluation.accuracy, 4)
        result["cv_seconds"] = round(time.perf_counter() - begin, 1)
    begin = time.perf_counter()
    model = train_model(train, cv_folds=0).model
    result["train_seconds"] = round(time.perf_counter() - begin, 1)
    predicted = [p.code for p in model.predict_batch(held_out.texts)]
    scores = evaluate(list(held_out.labels), predicted)
    result["held_out_macro_f1"] = round(scores.macro_f1, 4)
    result["held_out_accuracy"] = round(scores.accuracy, 4)
    complete = [i for i, t in enumerate(held_out.texts) if "\n" in t.strip()]
    if complete:
        complete_scores = evaluate(
            [held_out.labels[i] for i in complete], [predicted[i] for i in complete]
        )
        result["held_out_complete_messages"] = len(complete)
        result["held_out_complete_macro_f1"] = round(complete_scores.macro_f1, 4)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = save_model(model, Path(tmp) / "model")
        result["model_size_mb"] = round((model_dir / MODEL_FILE).stat().st_size / 2**20, 2)
        result["scorer_size_mb"] = round((model_dir / SCORER_FILE).stat().st_size / 2**20, 2)
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(list(held_out.texts), ensure_ascii=False), "utf-8")
        probe = subprocess.run(
            [sys.executable, __file__, "x", "--serve-probe", str(model_dir), str(texts_file)],
            check=True,
            capture_output=True,
            text=True,
        )
        result.update(json.loads(probe.stdout))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
