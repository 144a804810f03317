"""Saving and loading a model directory: model.skops (skops, explicit trusted types) + metadata."""

from __future__ import annotations

import hashlib
import logging
import warnings
import zipfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from sklearn.pipeline import Pipeline

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

__all__ = [
    "METADATA_FILE",
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "ModelVersionWarning",
    "default_model_path",
    "load_model",
    "read_metadata",
    "save_model",
]

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"

# Types beyond skops' built-in safe list that our pipeline needs; nothing else is loaded.
TRUSTED_TYPES: tuple[str, ...] = (
    "classifiers.features.CompactTfidfVectorizer",
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
    """Write model.skops and metadata.json (with the model file's SHA-256) into `directory`."""
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    tmp_path = directory / (MODEL_FILE + ".tmp")
    sio.dump(model.pipeline, tmp_path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    tmp_path.replace(model_path)
    metadata = model.metadata.with_model_sha256(_sha256(model_path))
    (directory / METADATA_FILE).write_text(metadata.to_json(), encoding="utf-8")
    model.metadata = metadata
    return directory


def read_metadata(directory: Path) -> ModelMetadata:
    """Read metadata.json of a model directory."""
    path = directory / METADATA_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{directory}: no {METADATA_FILE}; is this a model directory?")
    try:
        return ModelMetadata.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, TypeError) as exc:
        raise ModelIntegrityError(f"{path}: unreadable metadata ({exc}).") from exc


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
    missing = ", ".join(sorted(wanted - have)) or "none"
    extra = ", ".join(sorted(have - wanted)) or "none"
    raise LabelMismatchError(
        f"{directory}: the model's labels do not match the configured departments "
        f"(missing: {missing}; unknown: {extra}). Train a model on data labelled with the "
        "department codes of departments.toml, or point the configuration at the right model."
    )


def load_model(
    directory: Path,
    expected_labels: Iterable[str] | None = None,
    *,
    strict_versions: bool = False,
) -> RoutingModel:
    """Load a model directory, verifying hash, trusted types, versions and (optionally) labels.

    A scikit-learn/skops/jieba major.minor difference warns (`ModelVersionWarning`), or raises
    `ModelVersionError` when `strict_versions` is true.
    """
    import skops.io as sio

    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ModelNotFoundError(
            f"{directory}: no {MODEL_FILE}; train one with `minyi model train`."
        )
    metadata = read_metadata(directory)
    if expected_labels is not None:
        _check_labels(metadata, metadata.labels, expected_labels, directory)
    actual = _sha256(model_path)
    if not metadata.model_sha256 or actual != metadata.model_sha256:
        raise ModelIntegrityError(
            f"{model_path}: SHA-256 {actual[:12]}… does not match the "
            f"{metadata.model_sha256[:12] or '(missing)'}… recorded in {METADATA_FILE}; the file "
            "was changed or corrupted. Restore it or retrain."
        )
    _check_versions(metadata, directory, strict=strict_versions)
    try:
        untrusted = sio.get_untrusted_types(file=model_path)
    except Exception as exc:  # skops raises assorted errors on a malformed archive
        raise ModelIntegrityError(f"{model_path}: not a readable skops file ({exc}).") from exc
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise UntrustedModelError(
            f"{model_path}: contains types that are not on the trusted list: "
            f"{', '.join(unexpected)}. Refusing to load it."
        )
    try:
        pipeline = sio.load(model_path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelLoadError(f"{model_path}: could not be loaded ({exc}).") from exc
    if not isinstance(pipeline, Pipeline):
        raise UntrustedModelError(
            f"{model_path}: holds a {type(pipeline).__name__}, not a Pipeline."
        )
    model = RoutingModel(pipeline, metadata)
    if model.labels != tuple(metadata.labels):
        raise ModelIntegrityError(
            f"{model_path}: the model's labels {model.labels} differ from {METADATA_FILE}."
        )
    if expected_labels is not None:
        _check_labels(metadata, model.labels, expected_labels, directory)
    return model
