"""The office's words (issue 25's corrections): a test that fails on the old forms."""

from __future__ import annotations

from datetime import date

from bot.i18n import date_text, shipped, week_text


def test_the_chinese_texts_use_the_offices_forms() -> None:
    zh = shipped()["zh-CN"]
    assert zh["problem.new_title"].endswith("新反映问题：")
    assert "未逾期" not in zh["problem.new_title"]
    assert zh["escalation.title1"].startswith("🚨 提请首席负责人督办（一级督办）")
    assert zh["problem.status.open"] == "待签收" and zh["export.value.open"] == "待签收"
    assert "待办" not in "".join(zh.values())
    assert zh["export.column.audience"] == "报送人身份"
    assert zh["export.column.outcome"] == "报送类型"
    assert zh["export.value.report"] == "进展报送"
    assert zh["button.resolve_problem"] == "✅ #{id} 申请销号"
    assert zh["button.all_ok"] == "✅ 进展正常，无问题"
    assert "一切正常" not in "".join(zh.values())
    closing = zh["notice.closing"].strip().split("\n")
    assert closing[-2:] == ["365 帮办办公室", "{date}"]


def test_weeks_and_dates_read_as_an_office_writes_them() -> None:
    assert week_text(date(2026, 3, 2), date(2026, 3, 8), "zh-CN") == "第10周（3月2日—3月8日）"
    assert week_text(date(2026, 3, 2), date(2026, 3, 8), "en") == "week 10 (2 March – 8 March)"
    assert date_text(date(2027, 3, 9), "zh-CN") == "2027年3月9日"
    assert date_text(date(2027, 3, 9), "en") == "9 March 2027"
