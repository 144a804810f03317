"""`minyi demo`: the whole product, no token, no network — the real bot against the emulator."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admin.settings import Settings, load_settings
from bot.app import build_application, running
from emulator import Chat, Emulator, EmulatorServer, Message, Person
from sandbox.walks import has, walk_intake, walk_record
from storage import database
from storage.district import bind_department, load_departments, read_district
from storage.members import add_member
from storage.models import Role
from storage.unit_of_work import UnitOfWork

STEPS = 12


def is_photo(message: Message) -> bool:
    """A predicate: the message carries a photo."""
    return "photo" in message.media


@dataclass
class Cast:
    """The people and groups of the demo district."""

    wang: Person
    li: Person
    zhao: Person
    urban_clerk: Person
    housing_clerk: Person
    utilities_clerk: Person
    community_clerk: Person
    dispatcher: Person
    chief: Person
    zhou: Person  # 民情书记 of 市直第一民情书记队
    sun: Person  # a resident the collector meets, who opens the start link
    urban: Chat
    housing: Chat
    utilities: Chat
    community: Chat
    dispatch: Chat


async def demo_report(demo: Demo, person: Person, text: str, **options: Any) -> str:
    """A resident of the demo walks through the intake."""
    return await walk_intake(demo.emu, person, text, wait_seconds=demo.wait_seconds, **options)


class Demo:
    """Plays the story and prints what happens."""

    def __init__(self, emu: Emulator, out: Callable[[str], None], wait_seconds: float) -> None:
        self.emu = emu
        self.say = out
        self.wait_seconds = wait_seconds
        self.step_no = 0
        self.started = time.monotonic()

    def step(self, text: str) -> None:
        """A progress line."""
        self.step_no += 1
        elapsed = time.monotonic() - self.started
        self.say(f"[{self.step_no}/{STEPS}] {text}（{elapsed:.1f}s）")

    async def wait(
        self, chat: Chat, predicate: Callable[[Message], bool], thread: int | None = None
    ) -> Message:
        """The next bot message in a chat (or topic) that matches."""
        return await self.emu.wait_for_message(
            chat, predicate, thread_id=thread, timeout=self.wait_seconds
        )

    async def rate(self, person: Person, number: str, rating: str, reason: str = "") -> None:
        """The resident answers the 回访 buttons under the resolution message."""
        chat = person.private_chat
        resolved = await self.wait(chat, has(number, "已办结"))
        await person.press_button(resolved, rating)
        if reason:
            await self.wait(chat, has("原因"))
            await person.send_text(chat, reason)


async def staff_district(
    settings: Settings,
    emu: Emulator,
    clerks: Mapping[str, Person],
    supervisor: Person,
    supervisor_name: str,
) -> dict[str, Chat]:
    """Load the district and give each department in ``clerks`` its group, bound in the database.

    ``clerks`` maps department codes (the dispatch code for the dispatcher) to the person who
    works there, in the order the groups are made. A department's group is a forum named after
    it plus 工作群, dispatch a plain group with the dispatch centre's name; each clerk is a member
    of their group and registered as staff (the dispatcher as dispatcher), and ``supervisor`` as
    supervisor. Returns the groups by department code.
    """
    district = read_district(settings.departments_file)
    names = {spec.code: spec.name for spec in district.all()}
    dispatch = district.dispatch.code
    engine = database.create_engine(settings.database_url)
    uow = UnitOfWork(database.session_factory(engine))
    async with uow:
        await load_departments(uow=uow, district=district)
    groups = {
        code: emu.add_supergroup(
            names[code] if code == dispatch else f"{names[code]}工作群",
            forum=code != dispatch,
            members=[clerk],
        )
        for code, clerk in clerks.items()
    }
    for code, chat in groups.items():
        async with uow:
            await bind_department(uow=uow, code=code, chat_id=chat.id, is_forum=chat.is_forum)
        clerk = clerks[code]
        async with uow:
            await add_member(
                uow=uow,
                user_id=clerk.id,
                role=Role.DISPATCHER if code == dispatch else Role.STAFF,
                department_code=None if code == dispatch else code,
                display_name=clerk.user.first_name,
            )
    async with uow:
        await add_member(
            uow=uow, user_id=supervisor.id, role=Role.SUPERVISOR, display_name=supervisor_name
        )
    await engine.dispose()
    return groups


async def _prepare(settings: Settings, emu: Emulator) -> Cast:
    people = {
        name: emu.add_user(name)
        for name in (
            "王阿姨",
            "李先生",
            "赵女士",
            "城管·小刘",
            "住建·小周",
            "公用事业·小陈",
            "社区·小吴",
            "调度中心·老张",
            "督查室·孙主任",
            "民情书记·老周",
            "孙大爷",
        )
    }
    clerks = {
        "urban": people["城管·小刘"],
        "housing": people["住建·小周"],
        "utilities": people["公用事业·小陈"],
        "community": people["社区·小吴"],
        "dispatch": people["调度中心·老张"],
    }
    groups = await staff_district(settings, emu, clerks, people["督查室·孙主任"], "孙主任")
    engine = database.create_engine(settings.database_url)
    async with UnitOfWork(database.session_factory(engine)) as uow:
        await add_member(
            uow=uow,
            user_id=people["民情书记·老周"].id,
            role=Role.COLLECTOR,
            display_name="老周",
            team="市直第一民情书记队",
        )
    await engine.dispose()
    return Cast(
        wang=people["王阿姨"],
        li=people["李先生"],
        zhao=people["赵女士"],
        urban_clerk=clerks["urban"],
        housing_clerk=clerks["housing"],
        utilities_clerk=clerks["utilities"],
        community_clerk=clerks["community"],
        dispatcher=clerks["dispatch"],
        chief=people["督查室·孙主任"],
        zhou=people["民情书记·老周"],
        sun=people["孙大爷"],
        urban=groups["urban"],
        housing=groups["housing"],
        utilities=groups["utilities"],
        community=groups["community"],
        dispatch=groups["dispatch"],
    )


def _fresh(workdir: Path) -> None:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)


async def play(
    *, workdir: Path, out: Callable[[str], None] = print, wait_seconds: float = 20.0
) -> Path:
    """Run the story end to end; returns the path of the digest chart it wrote."""
    await asyncio.to_thread(_fresh, workdir)
    emu = Emulator()
    async with EmulatorServer(emu) as server:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{workdir / 'minyi-demo.sqlite3'}",
            telegram_api_base_url=server.base_url,
            telegram_bot_token=emu.token,
        )
        demo = Demo(emu, out, wait_seconds)
        demo.step("准备：全新 SQLite 数据库，本地 Bot API 模拟器（HTTP），默认辖区与演示人员")
        await asyncio.to_thread(database.upgrade, settings.database_url)
        cast = await _prepare(settings, emu)
        async with running(build_application(settings)):
            await _story(demo, cast)
            await _visit_day(demo, cast)
            chart = await _digest(demo, cast, workdir)
        out("")
        out(emu.transcript())
    await emu.close()
    out(f"日报图表已保存：{chart}")
    out(f"演示数据库：{workdir / 'minyi-demo.sqlite3'}")
    return chart


async def _story(demo: Demo, c: Cast) -> None:
    demo.step("王阿姨反映路灯不亮（附定位、照片、同意提供电话）→ 模型分派城市管理局")
    lamp = await demo_report(
        demo,
        c.wang,
        "荷韵花园北门那排路灯坏了一个多礼拜了，晚上黑漆漆的，老人出门很不安全",
        location=(35.4012, 116.5871),
        photo=True,
        phone="13800001111",
    )
    card = await demo.wait(c.urban, has(lamp, "新诉求"))

    demo.step("李先生反映地下车库水管漏水 → 公用事业服务中心，后转办住建局")
    pipe = await demo_report(
        demo, c.li, "小区地下车库的水管爆了好几天，一直在漏水，物业说不归他们管", address="南风花园"
    )
    pipe_card = await demo.wait(c.utilities, has(pipe, "新诉求"))

    demo.step("赵女士的诉求模型拿不准 → 区民意调度中心人工分派")
    vague = await demo_report(demo, c.zhao, "有个事想反映一下，电话里说不清楚")
    dispatch_card = await demo.wait(c.dispatch, has(vague, "待分派"))
    await c.dispatcher.press_button(dispatch_card, f"d:{vague}:community")
    await demo.wait(c.community, has(vague, "新诉求"))

    demo.step("城管局认领 → 在话题里提问 → 王阿姨补充 → 答复 → 办结")
    topic = card.message_thread_id
    await c.urban_clerk.press_button(card, "认领")
    await c.urban_clerk.send_command(
        c.urban, "/ask 请问是北门东侧还是西侧？大概几盏灯不亮？", thread=topic
    )
    await demo.wait(c.wang.private_chat, has("想向您了解"))
    await c.wang.send_text(c.wang.private_chat, "东侧，一共四盏，最里面那盏完全不亮")
    await demo.wait(c.urban, has("东侧"), thread=topic)
    await c.urban_clerk.send_text(c.urban, "收到，已安排维修班组明天上午到现场。", thread=topic)
    await demo.wait(c.wang.private_chat, has("维修班组"))
    await c.urban_clerk.send_command(
        c.urban, "/resolve 已解决 四盏路灯已更换灯具并恢复照明。", thread=topic
    )

    demo.step("王阿姨评价「不满意」→ 重新办理 → 再次办结 → 「满意」归档")
    await demo.rate(c.wang, lamp, "不满意", reason="还有一盏晚上十点后会自己灭")
    await demo.wait(c.urban, has(lamp, "不满意"), thread=topic)
    await c.urban_clerk.send_command(
        c.urban, "/resolve 已解决 已更换该路灯的控制器，夜间全程常亮。", thread=topic
    )
    await demo.rate(c.wang, lamp, "满意")
    await demo.wait(c.wang.private_chat, has(lamp, "归档"))

    demo.step("公用事业中心转办住建局（小区内管网由物业维修）→ 住建局办结 → 「基本满意」")
    await c.utilities_clerk.send_command(
        c.utilities,
        "/reassign housing 小区红线内管网由物业负责维修",
        thread=pipe_card.message_thread_id,
    )
    moved = await demo.wait(c.housing, has(pipe, "新诉求"))
    await c.housing_clerk.send_command(
        c.housing,
        "/resolve 已解决 已督促物业更换破损管段，今天恢复正常。",
        thread=moved.message_thread_id,
    )
    await demo.rate(c.li, pipe, "基本满意")
    await demo.wait(c.li.private_chat, has(pipe, "归档"))


async def _visit_day(demo: Demo, c: Cast) -> None:
    """A collector's visit day: three households, one answered on the spot, one sent on and
    followed by the resident through the QR code's link, one followed up by phone."""
    zhou = c.zhou.private_chat
    demo.step("民情书记老周入户走访：第一户咨询高龄补贴 → 现场解答（直办，当场销号）")
    await walk_record(
        demo.emu,
        c.zhou,
        channel="入户走访",
        person="钱奶奶",
        address="荷韵花园5号楼1单元",
        request="想问问八十岁以上的高龄补贴怎么申请",
        on_the_spot="已告知携带身份证和户口本到社区服务中心一号窗口申请，当月发放",
        wait_seconds=demo.wait_seconds,
    )
    demo.step("第二户反映楼道垃圾没人清 → 转办城管局，孙大爷扫码关注，自己评价")
    garbage, code = await walk_record(
        demo.emu,
        c.zhou,
        channel="入户走访",
        person="孙大爷",
        request="楼道口的垃圾堆了三天没人清运，味道很大",
        phone="13900002222",
        wait_seconds=demo.wait_seconds,
    )
    await demo.wait(zhou, lambda m: "photo" in m.media)  # the QR code of the start link
    card = await demo.wait(c.urban, has(garbage, "新诉求"))
    await c.sun.send_command(c.sun.private_chat, f"/start {code}")
    await demo.wait(c.sun.private_chat, has("您已关注诉求", garbage))
    demo.step("第三户电话反映电梯常停 → 转办住建局；城管局、住建局办结，老周电话回访并销号")
    lift, _ = await walk_record(
        demo.emu,
        c.zhou,
        channel="电话",
        person=None,
        request="单元电梯这个月停了三次，楼上老人下不了楼",
        wait_seconds=demo.wait_seconds,
    )
    lift_card = await demo.wait(c.housing, has(lift, "新诉求"))
    await c.urban_clerk.send_command(
        c.urban, "/resolve 已解决 已安排环卫当天清运并加密清运频次。", thread=card.message_thread_id
    )
    await demo.rate(c.sun, garbage, "满意")
    await c.housing_clerk.send_command(
        c.housing,
        "/resolve 已解决 已督促维保单位更换控制板，电梯恢复正常。",
        thread=lift_card.message_thread_id,
    )
    ask = await demo.wait(zhou, has("首问跟办", lift, "回访"))
    await c.zhou.press_button(ask, "满意")
    await demo.wait(zhou, has("首问跟办", lift, "已办结归档"))
    await c.zhou.send_command(zhou, "/register")
    register = await demo.wait(zhou, has("诉求台账"))
    for line in register.buttons:
        await c.zhou.press_button(register, line["text"])  # 销号: closed, the resident told
    await c.zhou.send_command(zhou, "/visit 3 3 荷韵花园入户走访三户，一户电话联系")
    await demo.wait(zhou, has("已登记走访"))


async def _digest(demo: Demo, c: Cast, workdir: Path) -> Path:
    demo.step("督查室孙主任查看今日日报（文字 + 图表）")
    chat = c.chief.private_chat
    await c.chief.send_command(chat, "/digest")
    await demo.wait(chat, has("日报"))
    photo = await demo.wait(chat, is_photo)
    chart = workdir / "digest.png"
    sizes = photo.media["photo"]
    await asyncio.to_thread(chart.write_bytes, demo.emu.file_content(sizes[-1]["file_id"]))
    demo.step(
        "演示结束：居民自报三件（一件调度分派、一件转办、一件重办后满意办结），"
        "民情书记走访三户（一件现场解答、两件转办后回访销号）"
    )
    return chart
