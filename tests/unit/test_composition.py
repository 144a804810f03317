"""The composition root takes the rate limiter and update processor it is given."""

from __future__ import annotations

from telegram.ext import SimpleUpdateProcessor

from admin.settings import load_settings
from bot.app import build_application
from bot.updates import PerChatUpdateProcessor
from delivery.pacing import FloodLimits

TOKEN = "123456:ABC-composition-root"
OFF = (0.0, 1.0)


def test_defaults_are_flood_limits_and_per_chat_order() -> None:
    application = build_application(load_settings(telegram_bot_token=TOKEN))
    assert isinstance(application.bot.rate_limiter, FloodLimits)
    assert isinstance(application.update_processor, PerChatUpdateProcessor)


def test_given_parts_replace_the_defaults() -> None:
    limiter = FloodLimits(overall=OFF, group=OFF, private=OFF)
    processor = SimpleUpdateProcessor(8)
    application = build_application(
        load_settings(telegram_bot_token=TOKEN), rate_limiter=limiter, update_processor=processor
    )
    assert application.bot.rate_limiter is limiter
    assert application.update_processor is processor
