"""Long reports are sent in parts that Telegram accepts, whatever their lines."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.periods import period_of
from bot.replies import MESSAGE_LIMIT, in_parts
from storage.digests import ProjectWeek
from tests.conftest import Harness

LINES = st.lists(
    st.text(alphabet=st.sampled_from("ab 项目；、;,\n"), max_size=9000).map(
        lambda s: s.replace("\n", " ")
    ),
    max_size=12,
)


@given(LINES, st.integers(min_value=40, max_value=4000), st.sampled_from(["", "(cont.)"]))
def test_parts_fit_and_keep_every_character_in_order(
    lines: list[str], limit: int, continued: str
) -> None:
    parts = in_parts(lines, limit, continued)
    assert all(len(part) <= limit for part in parts)
    assert all(part.startswith(continued + "\n") for part in parts[1:] if continued)
    bodies = [parts[0], *(part.removeprefix(continued + "\n") for part in parts[1:])]
    kept = "".join("".join(bodies).split())
    assert kept == "".join("".join(lines).split())


async def test_a_digest_of_many_projects_is_never_refused_as_too_long(bot: Harness) -> None:
    """A ranking of 2,000 projects is one line of the digest: it is cut, not sent whole (the
    fake Bot API refused two such parts in the start-up benchmark)."""
    weeks = [
        ProjectWeek(n, f"Project {n}", answered=n % 5, expected=5, missed={f"S{n}": 1})
        for n in range(2_000)
    ]
    period = period_of(date(2026, 11, 23), "Asia/Shanghai")
    for lang in ("zh-CN", "en"):
        parts = bot.services.digest.digest_parts(period, weeks, lang)
        assert all(len(part) <= MESSAGE_LIMIT for part in parts)
        assert "\n".join(parts).count("2000. Project") == 2  # both rankings, to the last


def test_lengths_are_counted_in_utf16_units_as_telegram_counts() -> None:
    from bot.replies import clip, units

    assert units("😀") == 2 and units("路") == 1
    cut = clip("😀" * 3000)
    assert units(cut) <= MESSAGE_LIMIT and cut.endswith("…")
    assert "\ud83d" not in cut  # never half an emoji
    parts = in_parts(["😀" * 5000, "end"])
    assert all(units(part) <= MESSAGE_LIMIT for part in parts) and parts[-1].endswith("end")
