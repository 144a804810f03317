"""The one typed settings object, read once from the environment; fails fast and clearly."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import classifiers
import storage

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/minyi.sqlite3"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DEPARTMENTS = Path(storage.__file__).with_name("departments.toml")
DEFAULT_MODEL = Path(classifiers.__file__).with_name("default_model")
DEFAULT_PLACES = Path(storage.__file__).with_name("places.toml")
DEFAULT_TEAMS = Path(storage.__file__).with_name("teams.toml")
TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")
# A bot token anywhere in a text (a URL in an error, a traceback): never shown to anyone.
TOKEN_ANYWHERE = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{20,}")
# pydantic's own words for a bad value, in Chinese (its English follows in brackets).
PYDANTIC_MESSAGES = {
    "float_parsing": "应为数字",
    "int_parsing": "应为整数",
    "time_parsing": "应为时间 HH:MM",
    "time_type": "应为时间 HH:MM",
    "greater_than_equal": "太小",
    "greater_than": "太小",
    "less_than_equal": "太大",
    "missing": "缺少",
}


def redact(text: str) -> str:
    """Mask every bot token in a text."""
    return TOKEN_ANYWHERE.sub("[token]", text)


class SettingsError(Exception):
    """A missing or malformed setting; the message names the variable."""


class Settings(BaseSettings):
    """Configuration from environment variables (and an optional .env file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default=DEFAULT_API_BASE_URL, alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    departments_file: Path = Field(default=DEFAULT_DEPARTMENTS, alias="MINYI_DEPARTMENTS")
    places_file: Path = Field(default=DEFAULT_PLACES, alias="MINYI_PLACES")
    teams_file: Path = Field(default=DEFAULT_TEAMS, alias="MINYI_TEAMS")  # collectors' teams
    model_dir: Path = Field(default=DEFAULT_MODEL, alias="MINYI_MODEL")
    timezone: str = Field(default="Asia/Shanghai", alias="MINYI_TIMEZONE")
    dispatch_threshold: float | None = Field(
        default=None, alias="MINYI_DISPATCH_THRESHOLD", ge=0, le=1
    )
    digest_time: time = Field(default=time(8, 0), alias="MINYI_DIGEST_TIME")
    office_hours: str = Field(default="08:30-12:00,13:30-17:30", alias="MINYI_OFFICE_HOURS")
    rating_window_days: int = Field(default=3, alias="MINYI_RATING_WINDOW_DAYS", ge=1)
    # Seconds between two deadline sweeps (签收, reminders, 催办, 督办), on the scheduler
    deadline_sweep_seconds: float = Field(default=300, alias="MINYI_DEADLINE_SWEEP_SECONDS", gt=0)
    # 签收: working hours a department has to accept a routed ticket (unset: one working day)
    accept_hours: float | None = Field(default=None, alias="MINYI_ACCEPT_HOURS", gt=0)
    # 退单: working days after routing within which a department may send a ticket back
    send_back_days: float = Field(default=2.0, alias="MINYI_SEND_BACK_DAYS", gt=0)
    # 延期: working days one extension may add, and approved extensions per ticket
    max_extension_days: int = Field(default=10, alias="MINYI_MAX_EXTENSION_DAYS", ge=1)
    max_extensions: int = Field(default=1, alias="MINYI_MAX_EXTENSIONS", ge=0)
    # The knowledge base answers a question at once at or above this similarity (above 1: off)
    knowledge_threshold: float = Field(default=0.5, alias="MINYI_KNOWLEDGE_THRESHOLD", ge=0)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("不像 @BotFather 给的 token（形如 123456:ABC…）")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("应以 http:// 或 https:// 开头")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("应为 sqlite+aiosqlite:///路径 或 postgresql+asyncpg://用户@主机/库名")
        return value

    @field_validator("departments_file", "places_file")
    @classmethod
    def _departments_exist(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"文件不存在：{value}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知时区 {value!r}（如 Asia/Shanghai）") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The district's time zone."""
        return ZoneInfo(self.timezone)

    def require_token(self) -> SecretStr:
        """The bot token, or a clear error naming the variable."""
        if self.telegram_bot_token is None:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN: 未设置，向 @BotFather 申请一个 token"
                "（想先试试，运行 `minyi demo`，不需要 token）"
            )
        return self.telegram_bot_token


_ALIASES = {name: field.alias or name for name, field in Settings.model_fields.items()}


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; a bad value becomes a one-line SettingsError naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        variable = _ALIASES.get(name, name)
        message = str(first["msg"]).removeprefix("Value error, ")
        chinese = PYDANTIC_MESSAGES.get(str(first["type"]))
        if chinese:
            message = f"{chinese} ({message})"
        raise SettingsError(f"{variable}: {message}") from None
