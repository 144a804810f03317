"""A CJK font for matplotlib charts, from the `mplfonts` package (Noto Sans CJK SC)."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

__all__ = [
    "CJK_FONT_FILE",
    "cjk_font_path",
    "register_cjk_font",
]

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

_lock = threading.Lock()
_family: str | None = None


def cjk_font_path() -> Path:
    """Return the path of the bundled Noto Sans CJK SC font file."""
    path = Path(str(resources.files("mplfonts").joinpath("fonts", CJK_FONT_FILE)))
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; reinstall the 'mplfonts' package for Chinese chart labels."
        )
    return path


def register_cjk_font() -> str:
    """Register the CJK font with matplotlib once and return its family name."""
    global _family
    with _lock:
        if _family is None:
            from matplotlib import font_manager

            path = cjk_font_path()
            font_manager.fontManager.addfont(str(path))
            _family = font_manager.FontProperties(fname=str(path)).get_name()
        return _family
