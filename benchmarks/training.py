"""Benchmark of `minyi model train` against a plain jieba + TF-IDF + LinearSVC baseline.

Usage: python benchmarks/training.py DATA.csv [--holdout 0.2] [--seed 0] [--folds 5]
       [--only baseline|train] [--limit N] [--jobs 1]

Both are trained on the same stratified part of the data (80 % by default) and scored on the
part held back, which neither has seen: what `minyi model train` does (cross-validation that
chooses the dispatch threshold, then the final fit) against `TfidfVectorizer(tokenizer=jieba)`
+ `LinearSVC()` with their defaults. Prints one JSON object, with the load average before and
after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.dataset import LabelledTexts, read_labelled_texts
from classifiers.segmentation import initialize, tokenize


def _split(data: LabelledTexts, holdout: float, seed: int) -> tuple[LabelledTexts, LabelledTexts]:
    """Stratified split into (train, held back), as benchmarks/classifier.py splits."""
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


def baseline(train: LabelledTexts, held: LabelledTexts, *, stock: bool) -> dict[str, Any]:
    """Plain jieba words + TF-IDF + LinearSVC, library defaults (stock jieba.lcut, or the
    project's segmenter, which gives the same words faster)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from classifiers.evaluation import evaluate

    words: Any = tokenize
    if stock:
        import jieba

        jieba.initialize()
        words = jieba.lcut
    begin = time.perf_counter()
    pipeline = make_pipeline(
        TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False), LinearSVC()
    )
    pipeline.fit(list(train.texts), list(train.labels))
    seconds = time.perf_counter() - begin
    predicted = [str(p) for p in pipeline.predict(list(held.texts))]
    scores = evaluate(list(held.labels), predicted)
    return {
        "seconds": round(seconds, 1),
        "held_out_macro_f1": round(scores.macro_f1, 4),
        "held_out_accuracy": round(scores.accuracy, 4),
    }


def minyi_train(
    train: LabelledTexts, held: LabelledTexts, folds: int, jobs: int | None
) -> dict[str, Any]:
    """What `minyi model train` runs: cross-validation, the threshold, the final fit."""
    from classifiers.confidence import routing_outcome
    from classifiers.evaluation import evaluate
    from classifiers.training import train_model

    begin = time.perf_counter()
    result = train_model(train, cv_folds=folds, **({"jobs": jobs} if jobs else {}))
    seconds = time.perf_counter() - begin
    predictions = result.model.predict_batch(held.texts)
    predicted = [p.code for p in predictions]
    scores = evaluate(list(held.labels), predicted)
    figures: dict[str, Any] = {
        "seconds": round(seconds, 1),
        "held_out_macro_f1": round(scores.macro_f1, 4),
        "held_out_accuracy": round(scores.accuracy, 4),
    }
    if result.cross_validation is not None:
        figures["cv_macro_f1"] = round(result.cross_validation.evaluation.macro_f1, 4)
    if result.threshold is not None:
        correct = [p == t for p, t in zip(predicted, held.labels, strict=True)]
        outcome = routing_outcome([p.confidence for p in predictions], correct, 0.0)
        at = routing_outcome(
            [p.confidence for p in predictions], correct, result.threshold.threshold
        )
        figures["threshold"] = result.threshold.threshold
        figures["cv_auto_routed_share"] = round(result.threshold.auto_routed_share, 4)
        figures["held_out_auto_routed_share"] = round(at.auto_routed_share, 4)
        figures["held_out_error_rate_routed"] = round(at.error_rate, 4)
        figures["held_out_error_rate_all"] = round(outcome.error_rate, 4)
    return figures


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=None, help="folds fitted at once")
    parser.add_argument("--only", choices=("baseline", "train"), default=None)
    args = parser.parse_args()
    load_before = os.getloadavg()
    initialize()
    data = _limit(read_labelled_texts(args.data), args.limit, args.seed)
    train, held = _split(data, args.holdout, args.seed)
    result: dict[str, Any] = {
        "data": args.data.name,
        "train_rows": len(train.texts),
        "held_out_rows": len(held.texts),
        "load_average_before": [round(x, 2) for x in load_before],
    }
    if args.only in (None, "baseline"):
        result["baseline_jieba_tfidf_linearsvc"] = baseline(train, held, stock=True)
        result["baseline_rjieba_tfidf_linearsvc"] = baseline(train, held, stock=False)
    if args.only in (None, "train"):
        result["minyi_model_train"] = minyi_train(train, held, args.folds, args.jobs)
    if "baseline_jieba_tfidf_linearsvc" in result and "minyi_model_train" in result:
        for name in ("baseline_jieba_tfidf_linearsvc", "baseline_rjieba_tfidf_linearsvc"):
            result[f"train_over_{name}"] = round(
                result["minyi_model_train"]["seconds"] / max(result[name]["seconds"], 0.1), 2
            )
    result["jobs"] = args.jobs
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
