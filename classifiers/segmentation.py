"""Chinese word segmentation: jieba's dictionary and algorithm, with the district's words.

jieba is the reference. When rjieba (jieba-rs: the same algorithm, compiled, many times faster)
is installed, it segments instead, fed jieba's own dictionary file and the district dictionary
as jieba reads them, so both give the same words: tests/unit/classifiers/test_segmenters.py
checks the token lists on the shipped corpus and the default model's predictions. Without
rjieba, jieba segments. No HMM either way: unknown words stay single characters.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from importlib import resources, util
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "JiebaSegmenter",
    "RjiebaSegmenter",
    "Segmenter",
    "UnsupportedDictionary",
    "default_userdict_path",
    "initialize",
    "is_initialized",
    "jieba_dictionary_path",
    "new_segmenter",
    "normalize",
    "segmenter_name",
    "tokenize",
]

log = logging.getLogger(__name__)


class Segmenter(Protocol):
    """Cuts text into words with jieba's dictionary plus the user dictionaries added."""

    name: str

    def add_userdict(self, path: Path) -> None:
        """Add a user dictionary in jieba's format (`word [frequency] [tag]` per line)."""
        ...

    def cut(self, text: str) -> list[str]:
        """Every piece of the text in order: words, single characters, spaces, punctuation."""
        ...


class UnsupportedDictionary(ValueError):
    """A dictionary the fast segmenter cannot read exactly as jieba does."""


def default_userdict_path() -> Path:
    """Return the path of the user dictionary shipped with the package."""
    return Path(str(resources.files("classifiers").joinpath("userdict.txt")))


def jieba_dictionary_path() -> Path:
    """jieba's own dictionary file, found without importing jieba."""
    spec = util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("jieba is not installed")
    return Path(spec.submodule_search_locations[0]) / "dict.txt"


def _import_jieba() -> Any:
    with warnings.catch_warnings():
        # jieba 0.42 imports pkg_resources, which newer setuptools flags as deprecated.
        warnings.filterwarnings("ignore", message=".*pkg_resources.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*pkg_resources.*", category=DeprecationWarning)
        import jieba
    return jieba


class JiebaSegmenter:
    """jieba itself, the reference: a tokenizer of its own with jieba's default dictionary."""

    name = "jieba"

    def __init__(self) -> None:
        jieba = _import_jieba()
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()

    def add_userdict(self, path: Path) -> None:
        """Load a user dictionary with jieba's own reader."""
        with open(path, encoding="utf-8") as handle:
            self._tokenizer.load_userdict(handle)

    def cut(self, text: str) -> list[str]:
        """jieba.cut without HMM."""
        return list(self._tokenizer.cut(text, HMM=False))


def _jieba_entries(path: Path) -> Iterator[tuple[str, int]]:
    """(word, frequency) of jieba's dict.txt, read as jieba.Tokenizer.gen_pfdict reads it."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.strip().decode("utf-8")
            try:
                word, frequency = line.split(" ")[:2]
                yield word, int(frequency)
            except ValueError:
                raise UnsupportedDictionary(f"{path}, line {number}: {line!r}") from None


_USER_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")  # jieba's re_userdict


def _user_entries(path: Path) -> Iterator[tuple[str, int | None]]:
    """(word, frequency or None) of a user dictionary, read as jieba.load_userdict reads it."""
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if not line:
                continue
            found = _USER_LINE.match(line)
            assert found is not None  # a non-empty line always matches
            word, frequency, _tag = found.groups()
            yield word, None if frequency is None else int(frequency)


# Characters jieba-rs segments as Han while jieba does not (jieba's Han is U+4E00 to U+9FD5):
# jieba ends a run of Han at each of them and yields it alone, so they are cut out here first.
# A run that continued through one could be segmented differently.
_JIEBA_RS_ONLY_HAN = re.compile(
    "([\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f])"
)
# A key no dictionary line can hold and no run of Han contains: it only carries frequency.
_TOTAL_ONLY = "\njieba's total\n"


class RjiebaSegmenter:
    """jieba-rs with jieba's dictionary file, the user dictionaries and jieba's total frequency.

    jieba adds a word's frequency to its total each time the word is added (its dict.txt lists
    B超 twice; the district dictionary re-weights words jieba knows), where jieba-rs replaces the
    old frequency. Every word's probability is its frequency over that total, so the difference
    would flip near ties (欺负人 against 欺负 + 人): the frequencies jieba-rs replaced are added
    back under a key no text can match.
    """

    name = "rjieba"

    def __init__(self, userdicts: Sequence[Path] = ()) -> None:
        import rjieba

        dictionaries = [(path, _user_entries_with_frequency(path)) for path in userdicts]
        # Importing rjieba builds a default dictionary this class does not use; free it.
        rjieba.clear()  # type: ignore[no-untyped-call]
        self._words: Any = rjieba.Jieba.empty()  # type: ignore[no-untyped-call]
        self._replaced = 0  # frequency jieba still counts in its total and jieba-rs does not
        # The current frequency of the words a user dictionary may add again.
        self._frequencies: dict[str, int] = {}
        wanted = {word for _, entries in dictionaries for word, _ in entries}
        has_word, add_word = self._words.has_word, self._words.add_word
        main = jieba_dictionary_path()
        for number, (word, frequency) in enumerate(_jieba_entries(main), 1):
            if has_word(word):  # a line of dict.txt repeats an earlier one
                previous = self._frequencies.get(word)
                if previous is None:
                    previous = _last_frequencies(main, {word}, before=number)[word]
                self._replaced += previous
            add_word(word, frequency, None)
            if word in wanted:
                self._frequencies[word] = frequency
        for _, entries in dictionaries:
            self._add(entries)
        self._words.add_word(_TOTAL_ONLY, self._replaced, None)

    def add_userdict(self, path: Path) -> None:
        """Load a user dictionary; every line must carry a frequency above zero."""
        entries = _user_entries_with_frequency(path)
        unknown = {w for w, _ in entries if w not in self._frequencies and self._words.has_word(w)}
        if unknown:
            self._frequencies.update(_last_frequencies(jieba_dictionary_path(), unknown))
        self._add(entries)
        self._words.add_word(_TOTAL_ONLY, self._replaced, None)

    def _add(self, entries: list[tuple[str, int]]) -> None:
        for word, frequency in entries:
            if word in self._frequencies:
                self._replaced += self._frequencies[word]
            self._words.add_word(word, frequency, None)
            self._frequencies[word] = frequency

    def cut(self, text: str) -> list[str]:
        """jieba-rs's cut without HMM, in jieba's runs of Han."""
        cut = self._words.cut
        if _JIEBA_RS_ONLY_HAN.search(text) is None:
            words: list[str] = cut(text, False)
            return words
        words = []
        for index, part in enumerate(_JIEBA_RS_ONLY_HAN.split(text)):
            if index % 2:
                words.append(part)
            elif part:
                words.extend(cut(part, False))
        return words


def _user_entries_with_frequency(path: Path) -> list[tuple[str, int]]:
    entries = []
    for word, frequency in _user_entries(path):
        if not frequency:
            # jieba would suggest a frequency, or set the word aside, in its own way.
            raise UnsupportedDictionary(f"{path}: {word!r} needs a frequency above zero")
        entries.append((word, frequency))
    return entries


def _last_frequencies(path: Path, words: set[str], *, before: int | None = None) -> dict[str, int]:
    """The last frequency dict.txt gives each of `words` (in its lines before `before`)."""
    found: dict[str, int] = {}
    for number, (word, frequency) in enumerate(_jieba_entries(path), 1):
        if number == before:
            break
        if word in words:
            found[word] = frequency
    return found


def new_segmenter(userdict: Path, *, fast: bool = True) -> Segmenter:
    """A segmenter with jieba's dictionary and `userdict`: rjieba's if `fast` and it can, else
    jieba's."""
    if fast:
        try:
            return RjiebaSegmenter([userdict])
        except ImportError:
            pass
        except UnsupportedDictionary as error:
            log.warning("segmenting with jieba: rjieba cannot read it exactly (%s)", error)
    segmenter = JiebaSegmenter()
    segmenter.add_userdict(userdict)
    return segmenter


_lock = threading.Lock()
_loaded_userdicts: set[str] = set()
_segmenter: Segmenter | None = None


def initialize(userdict: Path | None = None) -> None:
    """Load the dictionaries once (the shipped user dictionary unless told otherwise); later
    calls are cheap no-ops."""
    global _segmenter
    path = userdict or default_userdict_path()
    if _segmenter is not None and str(path) in _loaded_userdicts:
        return
    with _lock:
        if _segmenter is None:
            _segmenter = new_segmenter(path)
            log.info("word segmentation: %s", _segmenter.name)
        elif str(path) not in _loaded_userdicts:
            _segmenter.add_userdict(path)
        _loaded_userdicts.add(str(path))


def is_initialized() -> bool:
    """Tell whether `initialize` has run in this process."""
    return _segmenter is not None


def segmenter_name() -> str | None:
    """The segmenter in use, rjieba or jieba, once initialised; else None."""
    return _segmenter.name if _segmenter is not None else None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize(text: str) -> str:
    """Fold full-width forms to half-width (NFKC), lower-case, collapse spaces; keep lines."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line).lower()


def tokenize(text: str) -> list[str]:
    """Segment normalised text into words, dropping whitespace and punctuation."""
    if _segmenter is None:
        initialize()
    assert _segmenter is not None
    # A word holds a letter or digit of any script (the regex [^\W_]); most are all letters.
    return [tok for tok in _segmenter.cut(text) if tok.isalnum() or any(map(str.isalnum, tok))]
