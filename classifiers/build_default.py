"""Rebuild the shipped default model from the corpus: `python -m classifiers.build_default`.

Trains on every classifiers/corpus/*.csv (columns text,label), checks that the labels are
the department codes of departments.toml, cross-validates, and writes
classifiers/default_model/ (model.skops + metadata.json).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from classifiers.artifact import MODEL_FILE, save_model
from classifiers.dataset import labelled_texts, read_labelled_texts
from classifiers.errors import ClassifierError
from classifiers.pipeline import ModelConfig
from classifiers.report import format_counts, format_evaluation, format_outcome
from classifiers.segmentation import initialize
from classifiers.training import train_model

PACKAGE_DIR = Path(__file__).resolve().parent
CORPUS_DIR = PACKAGE_DIR / "corpus"
DEFAULT_MODEL_DIR = PACKAGE_DIR / "default_model"
DEPARTMENTS_FILE = PACKAGE_DIR.parent / "storage" / "departments.toml"
MIN_PER_DEPARTMENT = 150
# On this corpus the SVM cross-validates better than ridge (0.925 against 0.921-0.923), the
# other way round from real exports (tipdm2020), which `ModelConfig()` is tuned on.
DEFAULT_MODEL_CONFIG = ModelConfig(classifier="svm", c=1.5)


def department_codes(path: Path) -> list[str]:
    """Return the department codes of a departments.toml (without the dispatch desk)."""
    with path.open("rb") as handle:
        config = tomllib.load(handle)
    return [str(department["code"]) for department in config.get("departments", [])]


def main(argv: list[str] | None = None) -> int:
    """Train the default model from the corpus and write it; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--departments", type=Path, default=DEPARTMENTS_FILE)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-error-rate", type=float, default=0.05)
    args = parser.parse_args(argv)

    files = sorted(args.corpus.glob("*.csv"))
    if not files:
        print(f"no corpus files in {args.corpus}", file=sys.stderr)
        return 2
    initialize()
    try:
        parts = [read_labelled_texts(path, min_labels=1) for path in files]
    except ClassifierError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    texts = [t for part in parts for t in part.texts]
    labels = [label for part in parts for label in part.labels]
    data = labelled_texts(texts, labels, source=str(args.corpus))
    counts = data.label_counts()
    print(f"corpus: {len(texts)} messages from {len(files)} files")
    print(format_counts(counts))
    if args.departments.is_file():
        codes = set(department_codes(args.departments))
        missing = sorted(codes - set(counts))
        unknown = sorted(set(counts) - codes)
        if missing or unknown:
            print(f"labels ≠ departments: missing {missing}, unknown {unknown}", file=sys.stderr)
            return 2
    thin = {label: n for label, n in counts.items() if n < MIN_PER_DEPARTMENT}
    if thin:
        print(f"warning: fewer than {MIN_PER_DEPARTMENT} messages for {thin}", file=sys.stderr)
    result = train_model(
        data,
        DEFAULT_MODEL_CONFIG,
        cv_folds=args.folds,
        max_error_rate=args.max_error_rate,
        sources=tuple(
            {"file": f"corpus/{path.name}", "sha256": part.file_sha256}
            for path, part in zip(files, parts, strict=True)
        ),
    )
    save_model(result.model, args.out)
    if result.cross_validation is not None:
        print(format_evaluation(result.cross_validation.evaluation))
    if result.threshold is not None:
        print("suggested threshold: " + format_outcome(result.threshold))
    size = (args.out / MODEL_FILE).stat().st_size / 2**20
    print(f"wrote {args.out} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
