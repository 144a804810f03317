"""Neither the bot token nor a resident's phone number reaches the logs, even at DEBUG."""

from __future__ import annotations

import io
import logging
import sys

from bot.logs import FORMAT, RedactingFormatter, configure_logging
from tests.e2e.conftest import World
from tests.e2e.test_delivery import settle
from tests.e2e.test_resident import report


async def test_a_full_report_logs_neither_token_nor_phone(world: World) -> None:
    stream = io.StringIO()
    handler = configure_logging(logging.DEBUG, stream)
    try:
        alice = world.emu.add_user("王阿姨")
        number = await report(world, alice, "小区路灯坏了好几天了", phone="13800001111")
        await settle(world)
        logging.getLogger("minyi.test").info("shared 13800001111 with %s", world.emu.token)
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert number in logged  # the log does say what happened …
    assert "13800001111" not in logged  # … but not to whom
    assert world.emu.token not in logged
    assert world.emu.token.split(":")[1] not in logged


def test_tracebacks_are_redacted_too() -> None:
    try:
        raise ValueError("https://api.telegram.org/bot123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAA/getMe")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "call %s", ("13912345678",), sys.exc_info()
        )
    text = RedactingFormatter(FORMAT).format(record)
    assert "call [phone]" in text
    assert "ValueError" in text
    assert "AAAA" not in text
