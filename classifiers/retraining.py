"""Learning from corrections: fold human-labelled examples into the training data and show,
on a held-out part, whether the new model is better than the current one."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.model_selection import train_test_split

from classifiers.dataset import LabelledTexts
from classifiers.evaluation import Evaluation, evaluate
from classifiers.model import RoutingModel
from classifiers.training import train_model


@dataclass(frozen=True, slots=True)
class Comparison:
    """Before/after scores on the same held-out texts (all of them, and corrections only)."""

    held_out: int
    held_out_corrections: int
    before: Evaluation | None
    after: Evaluation
    before_on_corrections: Evaluation | None
    after_on_corrections: Evaluation | None


def _split(
    data: LabelledTexts, share: float, seed: int
) -> tuple[list[str], list[str], list[str], list[str]]:
    texts, labels = list(data.texts), list(data.labels)
    if len(texts) < 10 or share <= 0:
        return texts, labels, [], []
    counts = {label: labels.count(label) for label in set(labels)}
    stratify = labels if min(counts.values()) >= 2 else None
    train_t, test_t, train_l, test_l = train_test_split(
        texts, labels, test_size=share, random_state=seed, stratify=stratify
    )
    return list(train_t), list(train_l), list(test_t), list(test_l)


def combine(base: LabelledTexts, corrections: LabelledTexts) -> LabelledTexts:
    """Base data plus corrections (a correction of a text also in the base wins)."""
    corrected = dict(zip(corrections.texts, corrections.labels, strict=True))
    pairs = [(t, corrected.pop(t, label)) for t, label in zip(base.texts, base.labels, strict=True)]
    pairs += list(corrected.items())
    return LabelledTexts(
        tuple(t for t, _ in pairs),
        tuple(label for _, label in pairs),
        skipped_rows=base.skipped_rows,
        source=f"{base.source} + corrections",
    )


def compare(
    *,
    base: LabelledTexts,
    corrections: LabelledTexts,
    current: RoutingModel | None,
    held_out_share: float = 0.2,
    seed: int = 42,
) -> Comparison:
    """Train on (base + corrections) minus a held-out part; score current and new on it."""
    base_train = _split(base, held_out_share, seed)
    fix_train = _split(corrections, held_out_share, seed)
    train = LabelledTexts(tuple(base_train[0] + fix_train[0]), tuple(base_train[1] + fix_train[1]))
    test_texts, test_labels = base_train[2] + fix_train[2], base_train[3] + fix_train[3]
    if not test_texts:
        raise ValueError("数据太少，留不出评估用的部分（至少要 10 行）")
    candidate = train_model(train, cv_folds=0).model

    def score(model: RoutingModel | None, texts: list[str], labels: list[str]) -> Evaluation | None:
        if model is None or not texts:
            return None
        predicted = [p.code for p in model.predict_batch(texts)]
        known = sorted(set(model.labels) | set(labels) | set(predicted))
        return evaluate(labels, predicted, known)

    after = score(candidate, test_texts, test_labels)
    assert after is not None
    return Comparison(
        held_out=len(test_texts),
        held_out_corrections=len(fix_train[2]),
        before=score(current, test_texts, test_labels),
        after=after,
        before_on_corrections=score(current, fix_train[2], fix_train[3]),
        after_on_corrections=score(candidate, fix_train[2], fix_train[3]),
    )
