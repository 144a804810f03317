"""The emulator in-process: a python-telegram-bot request object that needs no sockets."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.ext import ApplicationBuilder
from telegram.ext._applicationbuilder import InitApplicationBuilder
from telegram.request import BaseRequest, RequestData

from emulator.core import Emulator
from emulator.errors import ConnectionDropped
from emulator.parameters import Parameters, Upload

IN_PROCESS_BASE_URL = "http://emulator.invalid/bot"
IN_PROCESS_BASE_FILE_URL = "http://emulator.invalid/file/bot"

_API_PATH = re.compile(r"/bot([^/]+)/([A-Za-z]+)$")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)$")


class InProcessRequest(BaseRequest):
    """Hands each call straight to the emulator core: same rules and faults as over HTTP.

    Use with ``ApplicationBuilder().base_url(IN_PROCESS_BASE_URL).request(...)
    .get_updates_request(...)``; a timeout fault raises ``TimedOut`` after ``read_timeout``.
    """

    def __init__(self, emulator: Emulator, *, read_timeout: float | None = 5.0) -> None:
        self.emulator = emulator
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Serve the call in-process and answer like an HTTP response would."""
        path = urlsplit(url).path
        if file_match := _FILE_PATH.search(path):
            content = self.emulator.download(file_match[1], file_match[2])
            if content is None:
                return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'
            return 200, content
        api_match = _API_PATH.search(path)
        if api_match is None:
            return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'
        timeout = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        call = self.emulator.call(api_match[1], api_match[2], _parameters(request_data))
        try:
            status, body = await asyncio.wait_for(call, timeout)
        except TimeoutError:
            raise TimedOut from None
        except ConnectionDropped:
            raise NetworkError("Server disconnected without sending a response.") from None
        return status, json.dumps(body, ensure_ascii=False).encode()


def in_process_builder(
    emulator: Emulator, *, read_timeout: float | None = 5.0
) -> InitApplicationBuilder:
    """An ``ApplicationBuilder`` wired to the emulator in-process (add handlers, then build)."""
    return (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(IN_PROCESS_BASE_URL)
        .base_file_url(IN_PROCESS_BASE_FILE_URL)
        .request(InProcessRequest(emulator, read_timeout=read_timeout))
        .get_updates_request(InProcessRequest(emulator, read_timeout=read_timeout))
    )


def _parameters(request_data: RequestData | None) -> Parameters:
    if request_data is None:
        return Parameters()
    files = {}
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        files[name] = Upload(filename or name, data, mime_type)
    return Parameters(dict(request_data.json_parameters), files)
