"""``python -m bot demo``: the real bot, no token needed.

The same ``Application``, services and SQLite storage run against the package's own fake Bot
API server on 127.0.0.1, with scripted people — an admin of the 365 帮办 office, two lead
liaison secretaries, a chief leader in charge and a leadership group — through two simulated
weeks in seconds. It prints the conversation as a transcript and writes the export (XLSX and
CSV) and a chart into a folder it names.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.app import build_application, start, stop
from bot.clock import format_local
from bot.config import Settings
from bot.fakeapi import ApiCall, FakeBotAPI, FakeClock, FakeGroup, FakeUser, buttons_of
from bot.jobs import App, services_of
from bot.services import Services
from handlers.updates import UpdateProcessor
from storage import Database

ADMIN = FakeUser(1001, "王主任", "wang_office", "zh-CN")
LI = FakeUser(2001, "李伟", "liwei", "zh-CN")
ZHAO = FakeUser(2002, "赵敏", "zhaomin", "zh-CN")
ZHANG = FakeUser(3001, "张书记", "zhangsj", "zh-CN")
LIU = FakeUser(4001, "刘工", "liugong", "zh-CN")  # the power company's liaison
GROUP = FakeGroup(-100365, "重大项目建设领导小组")
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai, a Monday
ZONE = "Asia/Shanghai"
CLIP = 600  # characters of a bot message shown in the transcript


class Demo:
    """Drives the real bot as people would, and writes down what everyone says."""

    def __init__(
        self, api: FakeBotAPI, clock: FakeClock, app: App, out: Callable[[str], None]
    ) -> None:
        self.api, self.clock, self.app, self._out = api, clock, app, out
        self._seen = 0
        self._names = {u.id: u.first_name for u in (ADMIN, LI, ZHAO, ZHANG, LIU)}
        self._names[GROUP.id] = GROUP.title

    @property
    def services(self) -> Services:
        return services_of(self.app)

    async def stage(self, title: str, when: datetime | None = None) -> None:
        """A stage's header, with the day and time it happens at (``when``: time passes to it
        first, so the header's weekday is the one the stage is about)."""
        if when is not None:
            await self.at(when)
        self._flush()
        now = self.clock.now()
        weekday = WEEKDAYS[now.astimezone(ZoneInfo(ZONE)).weekday()]
        self._out(f"\n══ {format_local(now, ZONE)}（{weekday}）· {title} ══")

    def _flush(self) -> None:
        for call in self.api.calls[self._seen :]:
            line = self._line(call)
            if line:
                self._out(line)
        self._seen = len(self.api.calls)

    def _line(self, call: ApiCall) -> str | None:
        params = call.params
        who = self._names.get(params.get("chat_id", 0), str(params.get("chat_id")))
        if call.method in {"sendMessage", "editMessageText"}:
            text = str(params.get("text", ""))
            text = text if len(text) <= CLIP else text[: CLIP - 1] + "…"
            buttons = " ".join(f"[{label}]" for label, _ in buttons_of(call))
            mark = "✎" if call.method == "editMessageText" else "→"
            return f"🤖 {mark} {who}: {text}" + (f"\n   {buttons}" if buttons else "")
        if call.method in {"sendDocument", "sendPhoto"}:
            upload = params.get("document") or params.get("photo")
            name = getattr(upload, "filename", "file")
            return f"🤖 → {who}: 📎 {name} {params.get('caption', '')}".rstrip()
        if call.method == "answerCallbackQuery" and params.get("text"):
            return f"🤖 (提示) {params['text']}"
        return None

    async def _settled(self) -> None:
        processor = self.app.update_processor
        assert isinstance(processor, UpdateProcessor)
        await asyncio.wait_for(processor.wait_for(self.api.last_update_id), 10)

    async def say(self, user: FakeUser, text: str, group: FakeGroup | None = None) -> ApiCall:
        await self.services.outbox.drain()
        self._flush()
        where = f" @{group.title}" if group else ""
        self._out(f"👤 {user.first_name}{where}: {text}")
        mark = len(self.api.calls)
        await self.api.send_text(user, text, group=group)
        await self._settled()
        chat = group.id if group else user.id
        reply = await self.api.wait_for(
            lambda c: c.method.startswith("send") and c.params.get("chat_id") == chat, after=mark
        )
        self._flush()
        return reply

    async def photo(self, user: FakeUser, caption: str) -> None:
        self._flush()
        self._out(f"👤 {user.first_name}: 🖼 {caption}")
        await self.api.send_media(user, "photo", caption=caption)
        await self._settled()
        self._flush()

    async def press(self, user: FakeUser, call: ApiCall, data: str) -> None:
        await self.services.outbox.drain()
        self._flush()
        label = next((label for label, d in buttons_of(call) if d == data), data)
        self._out(f"👤 {user.first_name} 点击 [{label}]")
        await self.api.press(user, self.api.message_of(call), data)
        await self._settled()
        self._flush()

    async def upload(self, user: FakeUser, name: str, data: bytes) -> None:
        self._flush()
        self._out(f"👤 {user.first_name}: 📎 {name}")
        await self.api.send_document(user, name, data)
        await self._settled()
        self._flush()

    async def at(self, moment: datetime) -> None:
        """Time passes: whatever the scheduler would do by then happens."""
        self.clock.set(moment)
        services = self.services
        await services.rounds.tick()
        await services.escalation.tick()
        await services.chasing.tick()
        await services.sitins.tick()
        await services.explain.tick()
        await services.digest.tick()
        await services.outbox.drain()
        self._flush()

    def last_to(self, user: FakeUser | FakeGroup, containing: str) -> ApiCall:
        return [c for c in self.api.sent_to(user.id) if containing in c.params.get("text", "")][-1]

    async def invite(self, project: int | str, role: str, user: FakeUser) -> None:
        text = (await self.say(ADMIN, f"/invite {project} {role}")).params["text"]
        await self.say(user, f"/start {text.rsplit('start=', 1)[1].split()[0]}")


def filled_template(template: bytes) -> bytes:
    """The office fills the template: this project and another, with their milestones."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    projects, milestones = book["项目 Projects"], book["节点 Milestones"]
    projects.delete_rows(2)
    milestones.delete_rows(2)
    projects.append(
        ["南环路污水管网", "在建", "3.2亿", 8000, "城建线", "城关镇", "2026-01-10", "2026-12-31",
         "全线通水"]
    )  # fmt: skip
    projects.append(
        ["北环路改造", "签约", "1.5亿", 3000, "交通线", "北关镇", "2026-04-01", "2027-06-30",
         "开工建设"]
    )  # fmt: skip
    milestones.append(["南环路污水管网", "管网开挖完成", "2026-03-06"])
    milestones.append(["南环路污水管网", "北段开挖完成", "2026-03-12"])
    milestones.append(["北环路改造", "完成征地", "2026-03-10"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DEMO_WEB_PORT = 8080


def day(n: int, hour: int, minute: int = 0) -> datetime:
    """Day ``n`` of the demo (0: the first Monday) at a Shanghai time."""
    return MONDAY + timedelta(days=n, hours=hour - 8, minutes=minute)


async def script(demo: Demo) -> None:
    """Two weeks of the mechanism, end to end."""
    await demo.stage("开通：管理员建项目、发邀请，秘书和首席负责人加入")
    await demo.say(ADMIN, "/start")
    await demo.say(ADMIN, "/newproject 南环路污水管网")
    for role, user in (("秘书", LI), ("秘书", ZHAO), ("负责人", ZHANG)):
        await demo.invite(1, role, user)
    await demo.say(ADMIN, "/setgroup 1", group=GROUP)
    await demo.say(ADMIN, "/schedule 1 工作日 09:00")
    await demo.say(ADMIN, "/schedule 1 负责人 每周 周五 16:00")

    await demo.stage("三明确：帮办办公室用模板导入项目计划和节点，查看形象进度")
    await demo.say(ADMIN, "/template")
    await demo.upload(ADMIN, "2026年重大项目计划.xlsx", filled_template(demo.api.uploads[-1].data))
    await demo.press(ADMIN, demo.last_to(ADMIN, "已检查"), "im:ok:1")
    await demo.say(ADMIN, "/plan 1")
    await demo.say(ADMIN, "/milestones 1")

    await demo.stage("第一天：定时提醒报送，秘书报送进展（文字和照片）", day(0, 9))
    await demo.say(LI, "管网开挖完成 60%，3 号井已浇筑")
    await demo.photo(ZHAO, "4 号井钢筋绑扎完成")
    await demo.at(day(1, 0))  # the round closes at 23:59: the summary reaches the leader

    await demo.stage("第二天：秘书反映问题，首席负责人即时收到；赵敏未报送", day(1, 9))
    prompt = demo.last_to(LI, "进展报送")
    await demo.press(LI, prompt, next(d for _, d in buttons_of(prompt) if d.startswith("ci:pb")))
    await demo.say(LI, "高压线未迁改，北段无法开挖")
    await demo.say(LI, "需供电公司本周内迁改线路")
    await demo.say(LI, "先施工南段，北段待迁改后跟进")
    await demo.at(day(1, 11, 1))  # a reminder to 赵敏

    await demo.stage("交办：帮办办公室把问题交办供电公司，部门联络员签收", day(1, 14))
    await demo.say(ADMIN, "/newdept 县供电公司")
    await demo.invite("d1", "联络员", LIU)
    await demo.say(ADMIN, "/project 1 dept d1")
    await demo.say(ADMIN, "/sitin d1 工作日 08:30")
    await demo.say(ADMIN, "/assign 1 d1 7天")
    await demo.services.outbox.drain()
    handed = demo.last_to(LIU, "交办县供电公司")
    await demo.press(LIU, handed, "dp:sg:1")
    await demo.at(day(2, 0))

    await demo.stage("坐班：供电公司联络员到365帮办办公室坐班签到", day(2, 8, 31))
    await demo.press(LIU, demo.last_to(LIU, "坐班：到达"), "si:1")

    await demo.stage("帮办时限已过：一级督办送首席负责人，仍未办结则二级督办送领导小组")
    for n in (2, 3):
        await demo.at(day(n, 9))
        await demo.say(LI, "按计划推进")
        await demo.say(ZHAO, "按计划推进")
        await demo.at(day(n + 1, 0))
    await demo.at(day(4, 9, 1))
    await demo.at(day(4, 16))
    contact = demo.last_to(ZHANG, "首席负责人每周对接")
    await demo.press(ZHANG, contact, "ct:v:1")
    await demo.say(ZHANG, "与供电公司现场对接，约定下周二前完成迁改")

    await demo.stage("节点完成：秘书报节点完成，形象进度随之更新", day(4, 17))
    await demo.say(LI, "/done 1 3 号、4 号井完工，管网开挖完成")
    await demo.say(ZHANG, "/milestones 1")

    await demo.at(day(5, 0))
    await demo.at(day(6, 9, 2))

    await demo.stage("周一：每周调度与通报草稿，管理员审核后发布", day(7, 9))
    draft = demo.last_to(ADMIN, "通报草稿")
    publish = next(d for _, d in buttons_of(draft) if d.startswith("nt:pub"))
    await demo.press(ADMIN, draft, publish)
    await demo.say(ADMIN, "/pack 2026-W10")
    await demo.at(day(7, 9, 1))
    await demo.at(day(8, 0))

    await demo.stage("第二周：供电公司报送办理进展并办结，首席负责人确认销号", day(8, 9))
    handed = demo.last_to(LIU, "交办县供电公司")
    await demo.press(LIU, handed, "dp:nt:1")
    await demo.photo(LIU, "新杆塔已立，线路切改完成")
    await demo.press(LIU, handed, "dp:dn:1")
    await demo.say(LIU, "线路已迁改，北段可恢复开挖")
    await demo.services.outbox.drain()
    card = demo.last_to(ZHANG, "申请销号")
    await demo.press(ZHANG, card, "pb:ok:1")
    await demo.at(day(9, 0))
    for n in range(9, 12):
        await demo.at(day(n, 9))
        await demo.say(LI, f"北段开挖完成 {20 * (n - 7)}%")
        await demo.say(ZHAO, "按计划推进")
        await demo.at(day(n + 1, 0))

    await demo.stage("说明原因：首席负责人说明节点滞后的原因和赶进措施", day(12, 10))
    card = demo.last_to(ZHANG, "滞后于序时进度")
    await demo.press(ZHANG, card, next(d for _, d in buttons_of(card) if d.startswith("ex:")))
    await demo.say(ZHANG, "北段待高压线迁改后开挖，已增加一个作业面，下周五前完成")

    await demo.stage("材料：管理员导出台帐（XLSX、CSV），首席负责人查看图表")
    await demo.say(ADMIN, "/export")
    await demo.say(ADMIN, "/export csv")
    await demo.say(ZHANG, "/chart 1 2w")
    await demo.say(ADMIN, "/invest 1 1500 2026-03")
    await demo.say(ADMIN, "/board 2026-03-01 2026-03-13")
    await demo.say(ADMIN, "/depts")


def _forget_last_run(database: Path) -> None:
    """The script starts from an empty database: a second run into the same folder would
    otherwise meet its own projects and people and stop half-way."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


async def run_demo(
    folder: Path, out: Callable[[str], None] = print, *, web_port: int | None = None
) -> list[Path]:
    """Run the demo, writing the files it produces into ``folder``; returns them. With
    ``web_port`` the board stays open on 127.0.0.1 afterwards, until Ctrl-C."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(_forget_last_run, folder / "demo.db")
    api = FakeBotAPI()
    await api.start()
    clock = FakeClock(day(0, 8))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr("123456:DEMO-token"),
        admin_ids=[ADMIN.id],
        database_path=folder / "demo.db",
        bot_api_base_url=api.base_url,
        rate_limit_per_second=1000,
        web_port=web_port,
        web_public_url=f"http://127.0.0.1:{web_port}" if web_port else None,
    )
    db = await Database.open(settings.database_path)
    app = build_application(settings, db, clock)
    written: list[Path] = []
    try:
        await start(app, poll_timeout=timedelta(seconds=1))
        demo = Demo(api, clock, app, out)
        try:
            await script(demo)
            await demo.stage("完")
            if web_port is not None:
                await keep_the_board_open(demo, web_port, out)
        finally:
            await api.release_polls()
            await stop(app)
        for upload in api.uploads:
            path = folder / upload.filename
            await asyncio.to_thread(path.write_bytes, upload.data)
            written.append(path)
    finally:
        await db.close()
        await api.stop()
    return written


async def keep_the_board_open(demo: Demo, port: int, out: Callable[[str], None]) -> None:
    """Print the board's address and a one-time sign-in link for the office's admin, then keep
    the bot (and its demo data) up until Ctrl-C."""
    token = await demo.services.web_access.login_token(ADMIN.id)
    out(f"\nThe board: http://127.0.0.1:{port}/app/")
    out(f"Sign in as the admin (once, within 10 minutes): http://127.0.0.1:{port}/login?t={token}")
    out("Ctrl-C stops the demo.")
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        out("\nStopped.")


def main(argv: list[str]) -> int:
    """``python -m bot demo [folder] [--web [port]]``."""
    logging.basicConfig(level=logging.ERROR)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    web_port: int | None = None
    if "--web" in argv:
        at = argv.index("--web")
        rest = argv[at + 1 : at + 2]
        web_port = int(rest[0]) if rest and rest[0].isdigit() else DEMO_WEB_PORT
        argv = argv[:at] + argv[at + 1 + (1 if rest and rest[0].isdigit() else 0) :]
    folder = Path(argv[0]) if argv else Path(f"bangban-demo-{stamp}")
    try:
        written = asyncio.run(run_demo(folder, web_port=web_port))
    except KeyboardInterrupt:
        return 0
    print(f"\nFiles written to {folder.resolve()}:")
    for path in written:
        print(f"  {path.name}")
    return 0
