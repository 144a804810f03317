"""Training, predicting, saving and loading; refusal of mismatched or tampered models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifiers.artifact import (
    METADATA_FILE,
    MODEL_FILE,
    SCORER_FILE,
    load_model,
    read_metadata,
)
from classifiers.dataset import LabelledTexts, labelled_texts
from classifiers.errors import (
    LabelMismatchError,
    ModelIntegrityError,
    ModelNotFoundError,
    TooFewLabelsError,
    UntrustedModelError,
)
from classifiers.model import Prediction
from classifiers.training import TrainingResult, train_model

LABELS = {"urban", "housing", "utilities"}


def test_prediction_carries_code_confidence_and_runner_ups(trained: TrainingResult) -> None:
    prediction = trained.model.predict("南风花园晚上停电了，冰箱里的东西都坏了")
    assert prediction.code == "utilities"
    assert 0.0 < prediction.confidence <= 1.0
    assert len(prediction.runner_up) == 2
    assert all(p <= prediction.confidence for _, p in prediction.runner_up)
    assert {prediction.code, *(c for c, _ in prediction.runner_up)} == LABELS


def test_batch_predict_matches_single(trained: TrainingResult) -> None:
    texts = ["小区电梯又坏了物业不管", "路灯不亮", "燃气有味道"]
    batch = trained.model.predict_batch(texts)
    single = [trained.model.predict(t) for t in texts]
    assert [p.code for p in batch] == [p.code for p in single]
    for b, s in zip(batch, single, strict=True):
        assert b.confidence == pytest.approx(s.confidence)
        assert [c for c, _ in b.runner_up] == [c for c, _ in s.runner_up]
    assert trained.model.predict_batch([]) == []


def test_training_records_cross_validation_and_threshold(trained: TrainingResult) -> None:
    metadata = trained.model.metadata
    assert metadata.labels == ("housing", "urban", "utilities")
    assert metadata.label_counts == {"housing": 15, "urban": 15, "utilities": 15}
    assert metadata.cv_folds == 3
    assert metadata.cv_macro_f1 is not None
    assert metadata.cv_macro_f1 > 0.8
    assert set(metadata.cv_per_label_f1) == LABELS
    assert metadata.threshold_suggestion is not None
    assert 0.0 <= metadata.threshold_suggestion <= 1.0


def test_round_trip_predicts_the_same(trained: TrainingResult, model_dir: Path) -> None:
    loaded = load_model(model_dir, expected_labels=LABELS)
    texts = ["荷韵花园垃圾没人收", "维修基金什么时候能用", "石桥镇停水三天了"]
    assert loaded.predict_batch(texts) == trained.model.predict_batch(texts)
    assert isinstance(loaded.predict(texts[0]), Prediction)
    metadata = json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))
    assert {"scikit-learn", "skops", "jieba", "numpy", "python"} <= set(metadata["versions"])
    assert len(metadata["training_data_sha256"]) == 64
    assert len(metadata["model_sha256"]) == 64
    assert len(metadata["scorer_sha256"]) == 64
    assert loaded.pipeline is None  # serving reads scorer.npz only


def test_loading_with_the_pipeline_gives_the_same_probabilities(model_dir: Path) -> None:
    import numpy as np

    loaded = load_model(model_dir, pipeline=True)
    texts = ["荷韵花园垃圾没人收", "维修基金什么时候能用", ""]
    assert loaded.pipeline is not None
    assert np.allclose(loaded.probabilities(texts), loaded.pipeline.predict_proba(texts))


def test_serving_a_model_never_imports_scikit_learn(model_dir: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from pathlib import Path; from classifiers.artifact import load_model; "
        f"m = load_model(Path({str(model_dir)!r})); print(m.predict('路灯坏了').code); "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'sklearn', 'skops'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["urban", "[]"]


def test_tampered_scorer_file_is_refused(model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    with (copy / SCORER_FILE).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="不符"):
        load_model(copy)


def test_a_model_saved_before_scorer_files_still_loads(model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    (copy / SCORER_FILE).unlink()
    metadata = json.loads((copy / METADATA_FILE).read_text(encoding="utf-8"))
    metadata.update(scorer_sha256="", format_version=1)
    (copy / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    texts = ["荷韵花园垃圾没人收", "石桥镇停水三天了"]
    assert load_model(copy).predict_batch(texts) == load_model(model_dir).predict_batch(texts)


def test_mismatched_labels_are_refused(model_dir: Path) -> None:
    with pytest.raises(LabelMismatchError, match="缺 police；多出 utilities"):
        load_model(model_dir, expected_labels={"urban", "housing", "police"})


def test_tampered_model_file_is_refused(model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    with (copy / MODEL_FILE).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="不符"):
        load_model(copy)


def test_untrusted_types_are_refused_even_with_a_matching_hash(
    model_dir: Path, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "m"))
    evil = Pipeline([("step", FunctionTransformer(func=shutil.rmtree))])
    sio.dump(evil, copy / MODEL_FILE)
    metadata = json.loads((copy / METADATA_FILE).read_text(encoding="utf-8"))
    import hashlib

    metadata["model_sha256"] = hashlib.sha256((copy / MODEL_FILE).read_bytes()).hexdigest()
    (copy / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(UntrustedModelError, match=r"shutil\.rmtree"):
        load_model(copy, pipeline=True)


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"没有 model\.skops"):
        load_model(tmp_path)


def test_rare_labels_are_set_aside_and_reported() -> None:
    texts = ["路灯坏了", "垃圾没人收", "占道经营", "电梯坏了", "物业不管", "漏水没人修", "停水了"]
    labels = ["urban"] * 3 + ["housing"] * 3 + ["utilities"]
    result = train_model(labelled_texts(texts, labels), cv_folds=0)
    assert result.dropped_labels == {"utilities": 1}
    assert result.model.labels == ("housing", "urban")
    assert result.model.metadata.cv_macro_f1 is None


def test_too_few_labels_after_setting_aside() -> None:
    data = labelled_texts(["路灯坏了", "垃圾没人收", "占道经营", "停水了"], ["urban"] * 3 + ["x"])
    with pytest.raises(TooFewLabelsError, match="至少需要两个部门"):
        train_model(data)


def test_read_metadata(model_dir: Path) -> None:
    assert read_metadata(model_dir).n_samples == 45


def test_fast_scorer_matches_the_pipeline(trained: TrainingResult) -> None:
    import numpy as np

    texts = ["荷韵花园路灯坏了", "", "物业", "zzz 完全无关的内容", "石桥镇停水停电燃气都有问题"]
    fast = trained.model.probabilities(texts)
    slow = trained.model.pipeline.predict_proba(texts)
    assert np.allclose(fast, slow)
    assert np.allclose(trained.model.probabilities(texts[:1]), slow[:1])
    many = [f"{i}号楼{t}" for i in range(100) for t in texts[:4]]  # more than one chunk
    assert np.allclose(
        trained.model.probabilities(many), trained.model.pipeline.predict_proba(many)
    )


def test_two_label_model_predicts_with_probabilities() -> None:
    import numpy as np

    texts = ["路灯坏了", "垃圾没人收", "占道经营", "电梯坏了", "物业不管", "漏水没人修"] * 2
    labels = (["urban"] * 3 + ["housing"] * 3) * 2
    model = train_model(labelled_texts(texts, labels), cv_folds=0).model
    fast = model.probabilities(["路灯又坏了", "电梯"])
    assert np.allclose(fast, model.pipeline.predict_proba(["路灯又坏了", "电梯"]))
    assert model.predict("路灯又坏了").code == "urban"


def test_title_branch_and_temperature_scaling_match_the_pipeline(
    corpus: LabelledTexts, tmp_path: Path
) -> None:
    import numpy as np

    from classifiers.artifact import save_model
    from classifiers.pipeline import ModelConfig

    titled = labelled_texts(
        [f"{t[:6]}\n{t}" if i % 2 else t for i, t in enumerate(corpus.texts)], corpus.labels
    )
    config = ModelConfig(title_weight=0.8, calibration="temperature", min_df=1)
    model = train_model(titled, config, cv_folds=0).model
    texts = ["荷韵花园\n路灯坏了好几天", "停水", ""]
    assert np.allclose(model.probabilities(texts), model.pipeline.predict_proba(texts))
    loaded = load_model(save_model(model, tmp_path / "m"))
    assert np.allclose(loaded.probabilities(texts), model.probabilities(texts))


def test_the_svm_configuration_is_served_the_same_as_its_pipeline(corpus: LabelledTexts) -> None:
    import numpy as np

    from classifiers.pipeline import ModelConfig

    model = train_model(corpus, ModelConfig(classifier="svm"), cv_folds=0).model
    texts = ["荷韵花园路灯坏了", "停水", "", "电梯"]
    assert model.pipeline is not None
    assert np.allclose(model.probabilities(texts), model.pipeline.predict_proba(texts))


def test_an_unknown_classifier_is_refused(corpus: LabelledTexts) -> None:
    from classifiers.pipeline import ModelConfig

    with pytest.raises(ValueError, match="unknown classifier"):
        train_model(corpus, ModelConfig(classifier="forest"), cv_folds=0)


def test_a_config_saved_before_ridge_reads_as_the_svm_it_was() -> None:
    from classifiers.pipeline import ModelConfig

    assert ModelConfig.from_dict({"c": 1.5}).classifier == "svm"
    assert ModelConfig.from_dict(ModelConfig().to_dict()).classifier == "ridge"
