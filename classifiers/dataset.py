"""Labelled texts read from CSV or XLSX exports of historical tickets."""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers.errors import (
    MissingColumnError,
    TooFewLabelsError,
    TrainingDataError,
    UnreadableFileError,
)

__all__ = [
    "LabelledTexts",
    "Table",
    "TextColumns",
    "canonical_sha256",
    "decode_bytes",
    "extract_texts",
    "labelled_texts",
    "read_labelled_texts",
    "read_table",
]


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of a CSV or XLSX file as strings, with the header and how the file was read."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    encoding: str
    sha256: str


@dataclass(frozen=True, slots=True)
class TextColumns:
    """Which columns hold the text: one text column, or a title and a body joined."""

    text: str = "text"
    title: str | None = None
    body: str | None = None
    label: str = "label"

    def needed(self) -> tuple[str, ...]:
        """Return the text columns this selection reads (not the label)."""
        if self.title is None and self.body is None:
            return (self.text,)
        return tuple(col for col in (self.title, self.body) if col is not None)


@dataclass(frozen=True, slots=True)
class LabelledTexts:
    """Texts with their labels, plus what was skipped on the way in."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    skipped_rows: int = 0
    source: str = ""
    file_sha256: str = ""

    def label_counts(self) -> dict[str, int]:
        """Return the number of examples per label, most frequent first."""
        return dict(Counter(self.labels).most_common())

    def sha256(self) -> str:
        """Return the canonical hash of the (text, label) rows, independent of file format."""
        return canonical_sha256(self.texts, self.labels)


def canonical_sha256(texts: Iterable[str], labels: Iterable[str]) -> str:
    """Hash (text, label) rows in order, so the same data gives the same hash from CSV or XLSX."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(text.encode("utf-8"))
        digest.update(b"\x1f")
        digest.update(label.encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def decode_bytes(data: bytes, *, source: str = "file") -> tuple[str, str]:
    """Decode CSV bytes as UTF-8, or GBK/GB18030 when detected; return (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Chinese exports that are not UTF-8 are nearly always GBK; GB18030 is its superset.
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _mostly_chinese(text):
        return text, "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise UnreadableFileError(
        f"{source}：认不出文字编码（不是 UTF-8，也不是 GBK/GB18030）；"
        "在 Excel 里另存为“CSV UTF-8”后再试"
    )


def _mostly_chinese(text: str) -> bool:
    """Tell whether most non-ASCII characters are CJK ideographs or CJK punctuation."""
    wide = [ch for ch in text[:100_000] if ord(ch) > 0x7F]
    cjk = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f")
    return bool(wide) and cjk / len(wide) > 0.6


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles it does not read
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise UnreadableFileError(f"{path}：不是可读的 XLSX 工作簿 ({exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            return [], []
        header = [_cell(v).strip() for v in header_row]
        records = [
            {name: _cell(value) for name, value in zip(header, row, strict=False) if name}
            for row in rows
        ]
    finally:
        workbook.close()
    return [name for name in header if name], records


def _read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    records = [{k: (v or "") for k, v in row.items() if isinstance(k, str)} for row in reader]
    return header, records


def read_table(path: Path) -> Table:
    """Read a CSV (UTF-8 or GBK/GB18030) or XLSX file into string rows."""
    if not path.is_file():
        raise UnreadableFileError(f"{path}：文件不存在")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        header, records = _read_xlsx(path)
        encoding = "xlsx"
    elif suffix in {".csv", ".txt", ".tsv"}:
        text, encoding = decode_bytes(data, source=str(path))
        header, records = _read_csv(text)
    elif suffix == ".xls":
        raise UnreadableFileError(f"{path}：不支持旧的 .xls 格式，请另存为 .xlsx")
    else:
        raise UnreadableFileError(f"{path}：不支持 {suffix or '无扩展名'} 文件，请用 .csv 或 .xlsx")
    if not header:
        raise TrainingDataError(f"{path}：文件是空的（没有表头行）")
    return Table(tuple(header), tuple(records), encoding, sha256)


def _check_columns(table: Table, wanted: Sequence[str], source: str) -> None:
    missing = [col for col in wanted if col not in table.columns]
    if missing:
        available = "、".join(table.columns) or "（无）"
        raise MissingColumnError(
            f"{source}：找不到列 {'、'.join(missing)}；文件里的列：{available}；"
            "用 --text-column / --label-column 指定"
        )


def extract_texts(table: Table, columns: TextColumns, *, source: str = "file") -> list[str]:
    """Return each row's text: the text column, or title and body joined by a newline."""
    _check_columns(table, columns.needed(), source)
    if columns.title is None and columns.body is None:
        return [row.get(columns.text, "").strip() for row in table.rows]
    parts = columns.needed()
    return [
        "\n".join(p for p in (row.get(c, "").strip() for c in parts) if p) for row in table.rows
    ]


def labelled_texts(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    source: str = "",
    file_sha256: str = "",
    min_labels: int = 2,
) -> LabelledTexts:
    """Pair texts with labels, skipping rows where either is empty; need `min_labels` labels."""
    kept_texts: list[str] = []
    kept_labels: list[str] = []
    skipped = 0
    for text, label in zip(texts, labels, strict=True):
        text, label = text.strip(), label.strip()
        if not text or not label:
            skipped += 1
            continue
        kept_texts.append(text)
        kept_labels.append(label)
    where = source or "训练数据"
    if not kept_texts:
        raise TrainingDataError(f"{where}：没有可用的行（{skipped} 行的正文或标签为空）")
    distinct = sorted(set(kept_labels))
    if len(distinct) < min_labels:
        raise TooFewLabelsError(
            f"{where}：只有 {len(distinct)} 个标签（{'、'.join(distinct)}）；"
            "分派模型至少需要两个部门的样本"
        )
    return LabelledTexts(tuple(kept_texts), tuple(kept_labels), skipped, source, file_sha256)


def read_labelled_texts(
    path: Path, columns: TextColumns | None = None, *, min_labels: int = 2
) -> LabelledTexts:
    """Read labelled training rows from a CSV or XLSX file (one label allowed if min_labels=1)."""
    columns = columns or TextColumns()
    table = read_table(path)
    source = str(path)
    _check_columns(table, (*columns.needed(), columns.label), source)
    texts = extract_texts(table, columns, source=source)
    labels = [row.get(columns.label, "") for row in table.rows]
    return labelled_texts(
        texts, labels, source=source, file_sha256=table.sha256, min_labels=min_labels
    )
