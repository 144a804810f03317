"""What is recorded beside a saved model: labels, metrics, data hash, versions."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "ModelMetadata",
    "library_versions",
]

FORMAT_VERSION = 2  # 2: scorer.npz beside model.skops
_LIBRARIES = ("scikit-learn", "skops", "jieba", "rjieba", "numpy", "scipy")


def library_versions() -> dict[str, str]:
    """Return the versions of Python and the libraries a saved model depends on."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


@dataclass(frozen=True, slots=True)
class ModelMetadata:
    """The contents of metadata.json."""

    labels: tuple[str, ...]
    label_counts: dict[str, int]
    n_samples: int
    training_data_sha256: str
    cv_folds: int = 0
    cv_accuracy: float | None = None
    cv_macro_f1: float | None = None
    cv_per_label_f1: dict[str, float] = field(default_factory=dict)
    threshold_suggestion: float | None = None
    threshold_max_error_rate: float | None = None
    threshold_auto_routed_share: float | None = None
    threshold_error_rate: float | None = None
    skipped_rows: int = 0
    dropped_labels: dict[str, int] = field(default_factory=dict)
    training_sources: tuple[dict[str, str], ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=library_versions)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    model_sha256: str = ""
    scorer_sha256: str = ""
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        """Serialise to pretty, UTF-8-readable JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ModelMetadata:
        """Parse metadata.json; unknown keys are ignored, so newer files still load."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("metadata.json must hold a JSON object")
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        values["labels"] = tuple(values.get("labels", ()))
        values["training_sources"] = tuple(values.get("training_sources", ()))
        return cls(**values)

    def with_hashes(self, model_sha256: str, scorer_sha256: str) -> ModelMetadata:
        """Return a copy recording the hashes of the saved files, in the current format."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(
            model_sha256=model_sha256, scorer_sha256=scorer_sha256, format_version=FORMAT_VERSION
        )
        return ModelMetadata(**values)
