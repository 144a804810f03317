"""Personal numbers in free text are found and masked; ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from storage.redaction import mask_personal_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13912345678", "电话[电话]"),
        ("+86 13912345678 打我", "[电话] 打我"),
        ("座机0537-2345678", "座机[电话]"),
        ("打139 1234 5678或139-1234-5678", "打[电话]或[电话]"),
        ("座机(0537)2345678，05372345678", "座机[电话]，[电话]"),
        ("旧身份证370802800101123", "旧身份证[身份证号]"),
        ("身份证370802198001011234", "身份证[身份证号]"),
        ("身份证37080219800101123x", "身份证[身份证号]"),
        ("3栋2单元501室，2024年5月12日", "3栋2单元501室，2024年5月12日"),
        ("订单号 123456789012", "订单号 123456789012"),
        ("金额12345678901234567890元", "金额12345678901234567890元"),
    ],
)
def test_phone_and_id_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_personal_numbers(text) == masked
