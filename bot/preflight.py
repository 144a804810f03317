"""The preflight: everything `minyi run` needs, checked in the order it is needed, one line each.

`minyi check` runs every check it can and fails on any ✗. `minyi run` runs the same checks first
(migrating the database, as it always has) and stops at the first ✗ that would break the bot:
settings, database, departments, model, threshold, token. Problems with the groups and people
are warnings there (⚠), since the bot must be running for an admin to `/bind` a group, and the
dispatch desk stands in for a department whose group is not bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from telegram import Bot, ChatMemberAdministrator, ChatMemberOwner
from telegram.constants import ChatMemberStatus
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
)
from telegram.request import HTTPXRequest

from admin import cli_texts as texts
from admin.cli_common import database_label, describe, schema_problem
from admin.settings import Settings, redact
from bot.app import dispatch_threshold
from classifiers.artifact import load_model, read_metadata
from classifiers.errors import ClassifierError
from classifiers.model import RoutingModel
from storage import database
from storage.district import District, list_departments, read_district
from storage.errors import DomainError
from storage.members import list_members
from storage.models import Role
from storage.unit_of_work import UnitOfWork
from storage.views import DepartmentView, MemberView

# Telegram that does not answer within these seconds counts as unreachable.
CONNECT_SECONDS = 10.0
READ_SECONDS = 15.0
HIGH_THRESHOLD = 0.95
FEW_ROUTED = 0.5


class Level(StrEnum):
    """How a check came out."""

    OK = "✓"
    WARN = "⚠"
    FAIL = "✗"
    SKIP = "○"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the preflight."""

    level: Level
    text: str

    @property
    def line(self) -> str:
        """The line as printed (a token never appears in it)."""
        return redact(f"{self.level} {self.text}")


@dataclass
class Report:
    """Every finding, in order."""

    findings: list[Finding] = field(default_factory=list)

    def count(self, level: Level) -> int:
        """How many findings came out at a level."""
        return sum(f.level == level for f in self.findings)

    @property
    def failed(self) -> bool:
        """Whether any check failed."""
        return self.count(Level.FAIL) > 0


Emit = Callable[[Finding], None]


class _Stopped(Exception):
    """`minyi run` stops at its first failure."""


@dataclass
class _Store:
    departments: list[DepartmentView]
    members: list[MemberView]


class Preflight:
    """Runs the checks against the settings, printing each finding as it is made."""

    def __init__(self, settings: Settings, *, for_run: bool, emit: Emit) -> None:
        self.settings = settings
        self.for_run = for_run
        self.emit = emit
        self.report = Report()
        # What a problem with a group or the people is: a failure for `check`, a warning for
        # `run` (the bot must run for an admin to /bind; dispatch stands in meanwhile).
        self.setup_problem = Level.WARN if for_run else Level.FAIL

    def run(self) -> Report:
        """Every check in order; `run` stops at the first failure."""
        with contextlib.suppress(_Stopped):
            self._checks()
        return self.report

    def _say(self, level: Level, text: str) -> None:
        finding = Finding(level, text)
        self.report.findings.append(finding)
        self.emit(finding)
        if level == Level.FAIL and self.for_run:
            raise _Stopped

    def _checks(self) -> None:
        settings = self.settings
        self._say(
            Level.OK,
            texts.CHECK_SETTINGS.format(
                database=database_label(settings.database_url),
                model=settings.model_dir,
                tz=settings.timezone,
            ),
        )
        token = settings.telegram_bot_token
        if token is None:
            self._say(Level.FAIL, texts.CHECK_TOKEN_MISSING)
        district = self._district()
        store = self._database(district)
        if district is None:
            self._say(Level.SKIP, texts.CHECK_SKIPPED.format(what=texts.SKIPPED_MODEL))
        else:
            self._model(district)
        if token is None:
            self._say(Level.SKIP, texts.CHECK_SKIPPED.format(what=texts.SKIPPED_TELEGRAM))
            self._say(Level.SKIP, texts.CHECK_SKIPPED.format(what=texts.SKIPPED_GROUPS))
        else:
            asyncio.run(self._telegram(token.get_secret_value(), store))
        if store is None:
            self._say(Level.SKIP, texts.CHECK_SKIPPED.format(what=texts.SKIPPED_PEOPLE))
        else:
            self._people(store.members)

    # --- the district and the database ------------------------------------------------------

    def _district(self) -> District | None:
        path = self.settings.departments_file
        try:
            district = read_district(path)
        except DomainError as error:
            self._say(Level.FAIL, texts.CHECK_DISTRICT_BAD.format(detail=error))
            return None
        self._say(
            Level.OK,
            texts.CHECK_DISTRICT.format(
                district=district.name,
                count=len(district.departments),
                dispatch=district.dispatch.name,
                path=path,
            ),
        )
        return district

    def _database(self, district: District | None) -> _Store | None:
        url = self.settings.database_url
        if self.for_run:
            try:
                database.upgrade(url)
            except Exception as error:  # unreachable, refused, broken: one line, what to do
                self._say(Level.FAIL, describe(error))
                return None
        problem = schema_problem(url)
        if problem is not None:
            self._say(Level.FAIL, problem)
            return None
        try:
            store = asyncio.run(_read_store(url))
        except Exception as error:
            self._say(Level.FAIL, describe(error))
            return None
        self._say(
            Level.OK,
            texts.CHECK_DATABASE.format(
                where=database_label(url), revision=database.head_revision()
            ),
        )
        if district is not None:
            self._departments(district, store.departments)
        return store

    def _departments(self, district: District, loaded: list[DepartmentView]) -> None:
        rows = {d.code: d for d in loaded}
        missing = [spec.code for spec in district.all() if spec.code not in rows]
        if not rows:
            self._say(Level.FAIL, texts.CHECK_DEPARTMENTS_NONE)
            return
        if missing:
            self._say(Level.FAIL, texts.CHECK_DEPARTMENTS_MISSING.format(codes="、".join(missing)))
            return
        changed = [
            spec.code
            for spec in district.all()
            if (rows[spec.code].name, rows[spec.code].sla_hours, rows[spec.code].is_dispatch)
            != (spec.name, spec.sla_hours, spec.is_dispatch)
        ]
        if changed:
            self._say(Level.WARN, texts.CHECK_DEPARTMENTS_CHANGED.format(codes="、".join(changed)))
            return
        self._say(Level.OK, texts.CHECK_DEPARTMENTS.format(count=len(district.all())))

    # --- the model and the threshold --------------------------------------------------------

    def _model(self, district: District) -> None:
        directory = self.settings.model_dir
        try:
            labels = set(read_metadata(directory).labels)
        except ClassifierError as error:
            self._say(Level.FAIL, texts.CHECK_MODEL_BROKEN.format(detail=error))
            return
        wanted = set(district.codes)
        if labels != wanted:
            self._say(
                Level.FAIL,
                texts.CHECK_MODEL_LABELS.format(
                    missing="、".join(sorted(wanted - labels)) or "—",
                    extra="、".join(sorted(labels - wanted)) or "—",
                ),
            )
            return
        try:
            model, versions = _load_quietly(directory, district.codes)
        except ClassifierError as error:
            self._say(Level.FAIL, texts.CHECK_MODEL_BROKEN.format(detail=error))
            return
        f1 = model.metadata.cv_macro_f1
        self._say(
            Level.OK,
            texts.CHECK_MODEL.format(
                count=len(labels), f1="—" if f1 is None else f"{f1:.3f}", path=directory
            ),
        )
        if versions:
            self._say(Level.WARN, texts.CHECK_MODEL_VERSIONS.format(detail=versions))
        self._threshold(model, len(labels))

    def _threshold(self, model: RoutingModel, labels: int) -> None:
        value = dispatch_threshold(self.settings, model)
        metadata = model.metadata
        if self.settings.dispatch_threshold is not None:
            source = "settings"
        elif metadata.threshold_suggestion:
            source = "model"
        else:
            source = "default"
        if value >= HIGH_THRESHOLD:
            self._say(Level.WARN, texts.CHECK_THRESHOLD_HIGH.format(value=value))
            return
        if value < 1 / labels:
            self._say(Level.WARN, texts.CHECK_THRESHOLD_LOW.format(value=value, count=labels))
            return
        routed = metadata.threshold_auto_routed_share
        from_model = source == "model" and routed is not None
        if from_model and routed is not None and routed < FEW_ROUTED:
            self._say(
                Level.WARN, texts.CHECK_THRESHOLD_FEW_ROUTED.format(value=value, routed=routed)
            )
            return
        outcome = ""
        if from_model and routed is not None and metadata.threshold_error_rate is not None:
            outcome = texts.THRESHOLD_OUTCOME.format(
                routed=routed, error=metadata.threshold_error_rate
            )
        self._say(
            Level.OK,
            texts.CHECK_THRESHOLD.format(
                value=value, source=texts.THRESHOLD_SOURCES[source], outcome=outcome
            ),
        )

    # --- Telegram: the token, then each group ------------------------------------------------

    async def _telegram(self, token: str, store: _Store | None) -> None:
        base_url = self.settings.telegram_api_base_url
        bot = Bot(
            token,
            base_url=base_url,
            request=HTTPXRequest(
                connection_pool_size=2,
                connect_timeout=CONNECT_SECONDS,
                read_timeout=READ_SECONDS,
            ),
        )
        accepted = False
        try:
            try:
                await bot.initialize()  # getMe
            except InvalidToken:
                self._say(Level.FAIL, texts.TOKEN_REJECTED.format(base_url=base_url))
            except TelegramError as error:
                self._say(Level.FAIL, describe(error))
            else:
                accepted = True
                self._say(
                    Level.OK,
                    texts.CHECK_TELEGRAM.format(username=bot.username, base_url=base_url),
                )
            if store is None or not accepted:
                self._say(Level.SKIP, texts.CHECK_SKIPPED.format(what=texts.SKIPPED_GROUPS))
                return
            for department in store.departments:
                await self._group(bot, department, store.members)
        finally:
            await bot.shutdown()

    async def _group(self, bot: Bot, department: DepartmentView, members: list[MemberView]) -> None:
        names = {"name": department.name, "code": department.code, "bot": bot.username}
        if department.chat_id is None:
            if department.is_dispatch:
                self._say(self.setup_problem, texts.GROUP_UNBOUND_DISPATCH.format(**names))
            else:
                self._say(Level.WARN, texts.GROUP_UNBOUND.format(**names))
            return
        chat_id = department.chat_id
        names["chat_id"] = str(chat_id)
        try:
            chat = await bot.get_chat(chat_id)
            me = await bot.get_chat_member(chat_id, bot.id)
        except ChatMigrated as error:
            forum_flag = " --forum" if department.is_forum else ""
            self._say(
                self.setup_problem,
                texts.GROUP_MIGRATED.format(
                    new_id=error.new_chat_id, forum_flag=forum_flag, **names
                ),
            )
            return
        except Forbidden as error:
            self._say(self.setup_problem, texts.GROUP_BOT_OUT.format(detail=error, **names))
            return
        except BadRequest as error:
            self._say(self.setup_problem, texts.GROUP_NOT_FOUND.format(detail=error, **names))
            return
        except (NetworkError, TelegramError) as error:
            self._say(self.setup_problem, describe(error))
            return
        title = chat.title or str(chat_id)
        names["title"] = title
        if chat.type not in ("group", "supergroup"):
            self._say(self.setup_problem, texts.GROUP_NOT_A_GROUP.format(**names))
            return
        if me.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            self._say(self.setup_problem, texts.GROUP_BOT_OUT.format(detail=me.status, **names))
            return
        if department.is_forum and not chat.is_forum:
            self._say(self.setup_problem, texts.GROUP_NOT_FORUM.format(**names))
            return
        if not isinstance(me, ChatMemberAdministrator | ChatMemberOwner):
            why = texts.WHY_ADMIN_FORUM if department.is_forum else texts.WHY_ADMIN_PLAIN
            level = self.setup_problem if department.is_forum else Level.WARN
            self._say(level, texts.GROUP_NOT_ADMIN.format(why=why, **names))
            return
        topics = isinstance(me, ChatMemberOwner) or bool(me.can_manage_topics)
        if department.is_forum and not topics:
            self._say(self.setup_problem, texts.GROUP_NO_TOPIC_RIGHTS.format(**names))
            return
        if chat.is_forum and not department.is_forum:
            self._say(Level.WARN, texts.GROUP_FORUM_UNUSED.format(**names))
            return
        if department.is_dispatch:
            people = texts.GROUP_DISPATCHERS.format(
                count=len({m.user_id for m in members if m.role == Role.DISPATCHER})
            )
        else:
            staff = {
                m.user_id
                for m in members
                if m.role == Role.STAFF and m.department_code == department.code
            }
            if not staff:
                self._say(Level.WARN, texts.GROUP_NO_STAFF.format(**names))
                return
            people = texts.GROUP_STAFF.format(count=len(staff))
        self._say(
            Level.OK,
            texts.GROUP_OK.format(
                forum=texts.GROUP_FORUM if department.is_forum else "",
                topics=texts.GROUP_TOPIC_RIGHTS if department.is_forum else "",
                people=people,
                **names,
            ),
        )

    # --- people -----------------------------------------------------------------------------

    def _people(self, members: list[MemberView]) -> None:
        def holders(role: Role) -> int:
            return len({m.user_id for m in members if m.role == role})

        dispatchers, supervisors = holders(Role.DISPATCHER), holders(Role.SUPERVISOR)
        admins = holders(Role.ADMIN)
        if not dispatchers:
            self._say(self.setup_problem, texts.CHECK_NO_DISPATCHERS)
        if not supervisors:
            self._say(self.setup_problem, texts.CHECK_NO_SUPERVISORS)
        if not admins:
            self._say(Level.WARN, texts.CHECK_NO_ADMINS)
        if dispatchers and supervisors:
            self._say(
                Level.OK,
                texts.CHECK_DISPATCHERS.format(
                    count=dispatchers, supervisors=supervisors, admins=admins
                ),
            )


async def _read_store(url: str) -> _Store:
    engine = database.create_engine(url)
    try:
        async with UnitOfWork(database.session_factory(engine)) as uow:
            return _Store(
                departments=await list_departments(uow=uow), members=await list_members(uow=uow)
            )
    finally:
        await engine.dispose()


def _load_quietly(directory: Path, codes: list[str]) -> tuple[RoutingModel, str]:
    """Load the model as the bot will; a library version difference comes back as text for a
    ⚠ line instead of a log record and a warning."""
    log = logging.getLogger("classifiers.artifact")
    disabled, log.disabled = log.disabled, True
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load_model(directory, expected_labels=codes)
    finally:
        log.disabled = disabled
    return model, " ".join(str(w.message) for w in caught)
