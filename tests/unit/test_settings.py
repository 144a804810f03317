"""Settings fail fast with one line that names the variable."""

from __future__ import annotations

import pytest

from admin.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "MINYI_TIMEZONE", "MINYI_DEPARTMENTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_need_no_token() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.departments_file.is_file()
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        settings.require_token()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("MINYI_TIMEZONE", "Mars/Olympus"),
        ("MINYI_DEPARTMENTS", "/nonexistent/departments.toml"),
        ("MINYI_DIGEST_TIME", "25:99"),
        ("TELEGRAM_API_BASE_URL", "ftp://example"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"{variable}:")
    assert "\n" not in message


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "123456789:AAAbbbCCCdddEEEfffGGGhhhIIIjjjKKK"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    settings = load_settings()
    assert token not in repr(settings)
    assert settings.require_token().get_secret_value() == token
