"""The emulator over real HTTP on 127.0.0.1, for an unmodified python-telegram-bot client."""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any

from telegram.ext import ApplicationBuilder
from telegram.ext._applicationbuilder import InitApplicationBuilder
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from emulator.core import Emulator
from emulator.errors import ConnectionDropped
from emulator.parameters import Parameters, Upload


class EmulatorServer:
    """Serves an :class:`Emulator` at ``base_url``; use ``async with`` or start/stop."""

    def __init__(
        self, emulator: Emulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.emulator = emulator if emulator is not None else Emulator()
        self.host = host
        self.port = port
        self._server: HTTPServer | None = None
        self.in_flight: set[asyncio.Task[tuple[int, dict[str, Any]]]] = set()

    @property
    def base_url(self) -> str:
        """The Bot API base URL for ``ApplicationBuilder().base_url``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The file base URL for ``ApplicationBuilder().base_file_url``."""
        return f"http://{self.host}:{self.port}/file/bot"

    def application_builder(self) -> InitApplicationBuilder:
        """An ``ApplicationBuilder`` with this server's token and URLs (add the rest, build)."""
        return (
            ApplicationBuilder()
            .token(self.emulator.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    async def start(self) -> None:
        """Listen on the host (port 0 picks a free port)."""
        application = Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)", _ApiHandler, {"server": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"server": self}),
            ],
            log_function=lambda handler: None,
        )
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(application, max_body_size=60 * 1024 * 1024)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        """Stop listening, abandon requests in flight, close every connection."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.stop()
        for task in list(self.in_flight):
            task.cancel()
        await asyncio.gather(*self.in_flight, return_exceptions=True)
        await server.close_all_connections()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


class _ApiHandler(RequestHandler):
    def initialize(self, server: EmulatorServer) -> None:
        self.server = server
        self.task: asyncio.Task[tuple[int, dict[str, Any]]] | None = None

    def check_xsrf_cookie(self) -> None:
        """The Bot API has no cookies."""

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        call = self.server.emulator.call(token, method, self._parameters())
        self.task = asyncio.ensure_future(call)
        self.server.in_flight.add(self.task)
        try:
            status, body = await self.task
        except ConnectionDropped:
            self.detach().close()
            return
        except asyncio.CancelledError:
            return  # the client went away, or the server is stopping
        finally:
            self.server.in_flight.discard(self.task)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))

    def on_connection_close(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _parameters(self) -> Parameters:
        request = self.request
        content_type = request.headers.get("Content-Type", "")
        values: dict[str, Any] = {
            name: chunks[-1].decode() for name, chunks in request.arguments.items()
        }
        if content_type.startswith("application/json") and request.body:
            values.update(json.loads(request.body))
        files = {
            name: Upload(parts[0].filename, parts[0].body, parts[0].content_type or None)
            for name, parts in request.files.items()
            if parts
        }
        return Parameters(values, files)


class _FileHandler(RequestHandler):
    def initialize(self, server: EmulatorServer) -> None:
        self.server = server

    async def get(self, token: str, file_path: str) -> None:
        content = self.server.emulator.download(token, file_path)
        if content is None:
            self.set_status(404)
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(content)
