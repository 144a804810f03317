"""The district configuration file is parsed and validated."""

from __future__ import annotations

import pytest

from storage.district import parse_district, read_district
from storage.errors import InvalidInput


def test_default_district_has_dispatch_and_thirteen_departments() -> None:
    district = read_district()
    assert district.name == "太白湖新区"
    assert district.dispatch.code == "dispatch"
    assert len(district.codes) == 13
    assert "dispatch" not in district.codes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml [", "not valid TOML"),
        ("district='x'", r"needs a \[dispatch\]"),
        (
            "[dispatch]\ncode='d'\nname='D'\nsla_hours=4\n[[departments]]\ncode='d'\nname='X'\nsla_hours=1",
            "duplicate department codes d",
        ),
        (
            "[dispatch]\ncode='d'\nname='D'\nsla_hours=4\n[[departments]]\ncode='a'\nname='A'\nsla_hours=0",
            "sla_hours must be a positive integer",
        ),
        ("[dispatch]\ncode='d'\nname='D'\nsla_hours=4\n[[departments]]\nname='A'", "missing key"),
    ],
)
def test_bad_files_are_explained(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_district(text)
