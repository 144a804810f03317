"""Training without repeated work: the counted blocks are the vectorizers scikit-learn fits, and
the model trained from them is a pipeline that predicts like its scorer."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.dataset import LabelledTexts
from classifiers.features import normalize_texts
from classifiers.pipeline import ModelConfig, feature_union
from classifiers.segmentation import initialize
from classifiers.training import Stage, _count, cross_validate, train_model


@pytest.mark.parametrize("max_features", [None, 40])
def test_counted_blocks_fit_as_tfidf_vectorizers_do(
    corpus: LabelledTexts, max_features: int | None
) -> None:
    initialize()
    config = ModelConfig(max_features=max_features)
    texts = [f"{t}\n{t[:6]}" if i % 3 == 0 else t for i, t in enumerate(corpus.texts)]
    rows = np.arange(0, len(texts), 2)
    union = feature_union(config).fit([normalize_texts(texts)[i] for i in rows])
    real = dict(union.transformer_list)
    for block in _count(texts, config, None):
        fitted = block.fit(rows).vectorizer
        expected = real[block.spec.name]
        expected = expected.steps[-1][1] if hasattr(expected, "steps") else expected
        assert fitted.vocabulary_ == expected.vocabulary_
        np.testing.assert_array_equal(fitted.idf_, expected.idf_)
        source = normalize_texts(texts)
        got = fitted.transform(
            source if block.spec.source_part == "text" else [t.split("\n")[0] for t in source]
        )
        want = expected.transform(
            source if block.spec.source_part == "text" else [t.split("\n")[0] for t in source]
        )
        np.testing.assert_allclose(got.toarray(), want.toarray(), rtol=1e-6)


def test_training_reports_progress_and_its_pipeline_predicts_like_the_scorer(
    corpus: LabelledTexts,
) -> None:
    heard: list[tuple[Stage, int, int]] = []
    result = train_model(corpus, cv_folds=3, jobs=2, progress=lambda *a: heard.append(a))
    assert heard.count((Stage.FINAL, 1, 1)) == 1  # beside the folds, so in any order
    assert (Stage.COUNT, len(corpus.texts), len(corpus.texts)) in heard
    assert [h for h in heard if h[0] == Stage.FOLD] == [(Stage.FOLD, i, 3) for i in (1, 2, 3)]
    pipeline = result.model.pipeline
    assert pipeline is not None
    np.testing.assert_allclose(
        pipeline.predict_proba(list(corpus.texts)),
        result.model.probabilities(corpus.texts),
        rtol=1e-5,
        atol=1e-7,
    )


def test_parallel_folds_give_the_same_cross_validation(corpus: LabelledTexts) -> None:
    one = cross_validate(corpus.texts, corpus.labels, folds=3, jobs=1)
    two = cross_validate(corpus.texts, corpus.labels, folds=3, jobs=2)
    np.testing.assert_allclose(one.probabilities, two.probabilities)
    assert one.evaluation.macro_f1 > 0.8
