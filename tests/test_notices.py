"""The notice (通报) is numbered per year when it is published, once, whoever presses."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import Repositories
from storage.access import ADMIN, Need
from storage.notice_numbers import NOTICE_NUMBER
from storage.outbox import OutgoingMessage
from tests.conftest import ADMIN as ADMIN_USER


async def _draft(repos: Repositories, period: str, now: datetime) -> int:
    notice = [OutgoingMessage(f"notice:{period}", -100, f"通报\n{NOTICE_NUMBER}\n关于…")]
    draft = [OutgoingMessage(f"notice-draft:{{notice}}:{period}", ADMIN_USER.id, "draft")]
    notice_id = await repos.digests.record(period, [], notice, draft, now)
    assert notice_id is not None
    return notice_id


async def test_numbers_run_per_year_and_one_notice_gets_one(repos: Repositories) -> None:
    admin = Need(ADMIN_USER.id, ADMIN)
    december = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)
    january = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
    first = await _draft(repos, "2026-W52", december)
    second = await _draft(repos, "2026-W53", december)
    third = await _draft(repos, "2027-W01", january)
    assert await repos.digests.decide(admin, second, True, december)
    assert not await repos.digests.decide(admin, second, True, december)  # a second press
    assert await repos.digests.decide(admin, first, True, december)
    assert await repos.digests.decide(admin, third, True, january)
    numbers = [(await repos.digests.notice(n)).number for n in (second, first, third)]  # type: ignore[union-attr]
    assert numbers == ["〔2026〕第1期", "〔2026〕第2期", "〔2027〕第1期"]
    rows = await repos.db.fetchall(
        "SELECT text FROM outbox WHERE dedupe_key LIKE 'notice:%' ORDER BY id"
    )
    texts = [r["text"] for r in rows]
    assert texts == [
        "通报\n〔2026〕第1期\n关于…",
        "通报\n〔2026〕第2期\n关于…",
        "通报\n〔2027〕第1期\n关于…",
    ]
    assert all(NOTICE_NUMBER not in t for t in texts)


async def test_without_approval_the_notice_is_numbered_as_it_goes(repos: Repositories) -> None:
    now = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    notice = [OutgoingMessage("notice:x", -100, f"通报\n{NOTICE_NUMBER}")]
    notice_id = await repos.digests.record("2026-W10", [], notice, [], now)
    assert notice_id is not None
    row = await repos.db.fetchone("SELECT text FROM outbox WHERE dedupe_key = 'notice:x'")
    assert row is not None and row["text"] == "通报\n〔2026〕第1期"
