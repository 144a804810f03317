"""Personal numbers people type into free text: mobile and landline numbers, ID card numbers.

One definition for the whole product: logs mask them (`bot.logs`), and retention removes them
from old requests (`retention`), whose words stay for statistics and retraining.
"""

from __future__ import annotations

import re

__all__ = ["ID_CARD", "LANDLINE", "MOBILE", "mask_personal_numbers"]

# 13912345678, +86 139 1234 5678, 139-1234-5678
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
# 0537-2345678, (0537)2345678, 05372345678
LANDLINE = re.compile(
    r"(?<![\d-])(?:0\d{2,3}-\d{7,8}|\(0\d{2,3}\)\d{7,8}|0\d{2,3}\d{7,8})(?![\d-])"
)
# 18-digit resident ID (last character may be X), or the old 15-digit one
ID_CARD = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?![\dXx])")


def mask_personal_numbers(text: str) -> str:
    """Replace phone and ID card numbers in a text with bracketed placeholders."""
    text = ID_CARD.sub("[身份证号]", text)
    text = MOBILE.sub("[电话]", text)
    return LANDLINE.sub("[电话]", text)
