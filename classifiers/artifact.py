"""Saving and loading a model directory: model.skops, scorer.npz and metadata.json.

`model.skops` is the fitted scikit-learn Pipeline (skops, explicit trusted types): the
reference for evaluation and for anyone who wants the model in scikit-learn. `scorer.npz` is
its compiled arithmetic (`scorer.LinearScorer`, plain arrays, no pickle), which is all the bot
loads, so a serving process never imports scikit-learn. `metadata.json` records both files'
SHA-256; loading verifies them before reading anything.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
import zipfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from classifiers.errors import (
    LabelMismatchError,
    ModelIntegrityError,
    ModelLoadError,
    ModelNotFoundError,
    ModelVersionError,
    UntrustedModelError,
)
from classifiers.metadata import FORMAT_VERSION, ModelMetadata, library_versions
from classifiers.model import RoutingModel
from classifiers.scorer import LinearScorer, ScorerFormatError

__all__ = [
    "METADATA_FILE",
    "MODEL_FILE",
    "SCORER_FILE",
    "TRUSTED_TYPES",
    "ModelVersionWarning",
    "default_model_path",
    "load_model",
    "read_metadata",
    "save_model",
]

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
SCORER_FILE = "scorer.npz"

# Types beyond skops' built-in safe list that our pipeline needs; nothing else is loaded.
TRUSTED_TYPES: tuple[str, ...] = (
    "classifiers.features.CompactTfidfVectorizer",  # models saved before scorer.npz
    "classifiers.pipeline.CompactTfidfVectorizer",
    "classifiers.features.first_lines",
    "classifiers.features.normalize_texts",
    "classifiers.segmentation.normalize",
    "classifiers.segmentation.tokenize",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.model_selection._split.StratifiedKFold",
)

logger = logging.getLogger(__name__)


class ModelVersionWarning(UserWarning):
    """The model was saved with other library versions than those installed."""


def default_model_path() -> Path:
    """Return the directory of the default model shipped with the package."""
    return Path(str(resources.files("classifiers").joinpath("default_model")))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model: RoutingModel, directory: Path) -> Path:
    """Write model.skops, scorer.npz and metadata.json (with both files' SHA-256)."""
    import skops.io as sio

    if model.pipeline is None:
        raise ModelLoadError("only a model with its pipeline (trained, or loaded with it) saves")
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    scorer_path = directory / SCORER_FILE
    tmp_model = directory / (MODEL_FILE + ".tmp")
    tmp_scorer = directory / (SCORER_FILE + ".tmp")
    sio.dump(model.pipeline, tmp_model, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    model.scorer.save(tmp_scorer)
    tmp_model.replace(model_path)
    tmp_scorer.replace(scorer_path)
    metadata = model.metadata.with_hashes(_sha256(model_path), _sha256(scorer_path))
    (directory / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
    model.metadata = metadata
    return directory


def read_metadata(directory: Path) -> ModelMetadata:
    """Read metadata.json of a model directory."""
    path = directory / METADATA_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{directory}：没有 {METADATA_FILE}，这不是模型目录")
    try:
        return ModelMetadata.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError) as exc:
        raise ModelIntegrityError(f"{path}：无法读取 ({exc})") from exc


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _check_versions(metadata: ModelMetadata, directory: Path, *, strict: bool) -> None:
    if metadata.format_version > FORMAT_VERSION:
        raise ModelVersionError(
            f"{directory}: model format {metadata.format_version} is newer than this program "
            f"understands ({FORMAT_VERSION}); upgrade minyi."
        )
    installed = library_versions()
    saved = metadata.versions
    differences = [
        f"{name} {saved[name]} (installed {installed[name]})"
        for name in ("scikit-learn", "skops", "jieba")
        if name in saved and _minor(saved[name]) != _minor(installed[name])
    ]
    if not differences:
        return
    message = (
        f"{directory}: model saved with {', '.join(differences)}; predictions may differ or "
        "loading may fail. Retrain with `minyi model train` to match the installed libraries."
    )
    if strict:
        raise ModelVersionError(message)
    logger.warning(message)
    warnings.warn(message, ModelVersionWarning, stacklevel=3)


def _check_labels(
    metadata: ModelMetadata, labels: tuple[str, ...], expected: Iterable[str], directory: Path
) -> None:
    wanted = set(expected)
    have = set(labels)
    if have == wanted:
        return
    missing = "、".join(sorted(wanted - have)) or "—"
    extra = "、".join(sorted(have - wanted)) or "—"
    raise LabelMismatchError(
        f"{directory}：模型的标签与部门不一致（缺 {missing}；多出 {extra}）："
        "用部门代码标注的数据重新训练（`minyi model train`），或把 MINYI_MODEL 指向相符的模型"
    )


def _verify(path: Path, recorded: str) -> None:
    actual = _sha256(path)
    if not recorded or actual != recorded:
        raise ModelIntegrityError(
            f"{path}：SHA-256 {actual[:12]}… 与 {METADATA_FILE} 记录的 "
            f"{recorded[:12] or '（无）'}… 不符：文件被改动或已损坏，恢复原文件或重新训练"
        )


def load_model(
    directory: Path,
    expected_labels: Iterable[str] | None = None,
    *,
    strict_versions: bool = False,
    pipeline: bool = False,
) -> RoutingModel:
    """Load a model directory, verifying hashes, versions and (optionally) labels.

    Reads the compiled scorer only, unless `pipeline` is true (then also the scikit-learn
    Pipeline, with skops' trusted-type check) or the directory predates scorer files.
    A scikit-learn/skops/jieba major.minor difference warns (`ModelVersionWarning`), or raises
    `ModelVersionError` when `strict_versions` is true.
    """
    model_path = directory / MODEL_FILE
    scorer_path = directory / SCORER_FILE
    if not model_path.is_file():
        raise ModelNotFoundError(
            f"{directory}：没有 {MODEL_FILE}；先用 `minyi model train` 训练一个"
        )
    metadata = read_metadata(directory)
    if expected_labels is not None:
        _check_labels(metadata, metadata.labels, expected_labels, directory)
    _verify(model_path, metadata.model_sha256)
    _check_versions(metadata, directory, strict=strict_versions)
    fitted = None
    if pipeline or not metadata.scorer_sha256:
        fitted = _load_pipeline(model_path)
    if metadata.scorer_sha256:
        _verify(scorer_path, metadata.scorer_sha256)
        try:
            scorer = LinearScorer.load(scorer_path)
        except ScorerFormatError as exc:
            raise ModelLoadError(f"{scorer_path}: could not be loaded ({exc}).") from exc
    else:  # format 1: compile the pipeline now
        scorer = LinearScorer.from_pipeline(fitted)
    model = RoutingModel(scorer, metadata, fitted)
    if model.labels != tuple(metadata.labels):
        raise ModelIntegrityError(
            f"{directory}: the model's labels {model.labels} differ from {METADATA_FILE}."
        )
    if expected_labels is not None:
        _check_labels(metadata, model.labels, expected_labels, directory)
    return model


def _load_pipeline(model_path: Path) -> Any:
    """Load model.skops, refusing any type outside `TRUSTED_TYPES`."""
    import skops.io as sio
    from sklearn.pipeline import Pipeline

    try:
        untrusted = sio.get_untrusted_types(file=model_path)
    except Exception as exc:  # skops raises assorted errors on a malformed archive
        raise ModelIntegrityError(f"{model_path}: not a readable skops file ({exc}).") from exc
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise UntrustedModelError(
            f"{model_path}：含有不在信任清单上的类型 {'、'.join(unexpected)}，拒绝加载"
        )
    try:
        fitted = sio.load(model_path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelLoadError(f"{model_path}: could not be loaded ({exc}).") from exc
    if not isinstance(fitted, Pipeline):
        raise UntrustedModelError(f"{model_path}: holds a {type(fitted).__name__}, not a Pipeline.")
    return fitted
