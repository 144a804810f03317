"""Chinese word segmentation: jieba with the district's user dictionary."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from importlib import resources
from pathlib import Path

with warnings.catch_warnings():
    # jieba 0.42 imports pkg_resources, which newer setuptools flags as deprecated.
    warnings.filterwarnings("ignore", message=".*pkg_resources.*", category=UserWarning)
    warnings.filterwarnings("ignore", message=".*pkg_resources.*", category=DeprecationWarning)
    import jieba

__all__ = [
    "default_userdict_path",
    "initialize",
    "is_initialized",
    "normalize",
    "tokenize",
]

_lock = threading.Lock()
_loaded_userdicts: set[str] = set()
_initialized = False


def default_userdict_path() -> Path:
    """Return the path of the user dictionary shipped with the package."""
    return Path(str(resources.files("classifiers").joinpath("userdict.txt")))


def initialize(userdict: Path | None = None) -> None:
    """Load jieba's dictionary and the user dictionary once; later calls are cheap no-ops."""
    global _initialized
    path = str(userdict or default_userdict_path())
    if _initialized and path in _loaded_userdicts:
        return
    with _lock:
        if not _initialized:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
        if path not in _loaded_userdicts:
            with open(path, encoding="utf-8") as handle:
                jieba.load_userdict(handle)
            _loaded_userdicts.add(path)
        _initialized = True


def is_initialized() -> bool:
    """Tell whether `initialize` has run in this process."""
    return _initialized


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize(text: str) -> str:
    """Fold full-width forms to half-width (NFKC), lower-case, collapse spaces; keep lines."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line).lower()


_WORD = re.compile(r"[^\W_]")  # a letter or digit in any script


def tokenize(text: str) -> list[str]:
    """Segment normalised text into words, dropping whitespace and punctuation."""
    if not _initialized:
        initialize()
    return [tok for tok in jieba.cut(text, HMM=False) if _WORD.search(tok)]
