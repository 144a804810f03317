"""Reading training files: formats, encodings, and the clear errors on bad files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from classifiers.dataset import TextColumns, read_labelled_texts, read_table
from classifiers.errors import (
    MissingColumnError,
    TooFewLabelsError,
    TrainingDataError,
    UnreadableFileError,
)


def test_reads_utf8_csv_and_counts_labels(corpus_csv: Path) -> None:
    data = read_labelled_texts(corpus_csv)
    assert len(data.texts) == 45
    assert data.label_counts() == {"urban": 15, "housing": 15, "utilities": 15}
    assert len(data.file_sha256) == 64


def test_gbk_encoded_csv_is_detected(
    tmp_path: Path, rows: list[tuple[str, str]], csv_writer: Callable[..., Path]
) -> None:
    path = csv_writer(tmp_path / "gbk.csv", rows, encoding="gbk")
    table = read_table(path)
    assert table.encoding == "gb18030"
    data = read_labelled_texts(path)
    assert data.texts[0].startswith("荷韵花园")


def test_rows_with_empty_text_or_label_are_skipped_and_counted(
    tmp_path: Path, rows: list[tuple[str, str]], csv_writer: Callable[..., Path]
) -> None:
    mixed = [*rows[:6], ("", "urban"), ("路灯坏了", ""), ("  ", " "), *rows[20:26]]
    data = read_labelled_texts(csv_writer(tmp_path / "t.csv", mixed))
    assert data.skipped_rows == 3
    assert len(data.texts) == 12


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(TrainingDataError, match="文件是空的"):
        read_labelled_texts(path)


def test_header_only_file_is_refused(tmp_path: Path, csv_writer: Callable[..., Path]) -> None:
    path = csv_writer(tmp_path / "header.csv", [])
    with pytest.raises(TrainingDataError, match="没有可用的行"):
        read_labelled_texts(path)


def test_one_label_is_refused(tmp_path: Path, csv_writer: Callable[..., Path]) -> None:
    path = csv_writer(tmp_path / "one.csv", [("路灯坏了", "urban"), ("垃圾没人收", "urban")])
    with pytest.raises(TooFewLabelsError, match="至少需要两个部门"):
        read_labelled_texts(path)


def test_missing_column_lists_available_columns(corpus_csv: Path) -> None:
    with pytest.raises(MissingColumnError, match=r"内容.*文件里的列：text、label"):
        read_labelled_texts(corpus_csv, TextColumns(text="内容"))


def test_xlsx_with_title_and_body_columns(tmp_path: Path, rows: list[tuple[str, str]]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["标题", "内容", "部门"])
    for text, label in rows:
        sheet.append([text[:4], text[4:], label])
    sheet.append(["只有标题", None, "urban"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    data = read_labelled_texts(path, TextColumns(title="标题", body="内容", label="部门"))
    assert data.texts[0] == "荷韵花园\n门口路灯坏了好几天，希望尽快处理"
    assert data.texts[-1] == "只有标题"
    assert len(data.texts) == 46


def test_unsupported_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="文件不存在"):
        read_table(tmp_path / "nope.csv")
    odd = tmp_path / "data.json"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="不支持"):
        read_table(odd)


def test_latin1_file_is_read_with_the_detected_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncafé fermé,urban\nrue sale,community\n".encode("latin-1"))
    table = read_table(path)
    assert table.rows[0]["text"] == "café fermé"
