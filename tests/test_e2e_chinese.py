"""An office that works in Chinese: Chinese arguments everywhere English ones work, and replies
in the mechanism's own terms."""

from __future__ import annotations

from tests.conftest import ADMIN, Harness
from tests.fakebot import FakeUser

SECRETARY = FakeUser(2001, "王芳", "wangfang", "zh-CN")
LEADER = FakeUser(3001, "张强", "zhangqiang", "zh-CN")


async def _say(bot: Harness, user: FakeUser, text: str) -> str:
    return str((await bot.send(user, text)).params["text"])


async def _join(bot: Harness, command: str, user: FakeUser) -> str:
    link = await _say(bot, ADMIN, command)
    return await _say(bot, user, f"/start {link.rsplit('start=', 1)[1].strip()}")


async def test_an_office_sets_up_a_project_in_chinese(bot: Harness) -> None:
    assert "中文" in await _say(bot, ADMIN, "/language 中文")
    created = await _say(bot, ADMIN, "/newproject 城南道路")
    # The next steps it suggests are the Chinese forms, which work as they are written.
    assert "已创建项目 1" in created and "/invite 1 秘书" in created
    assert "首办秘书" in await _join(bot, "/invite 1 秘书", SECRETARY)
    assert "首席负责人" in await _join(bot, "/invite 1 负责人", LEADER)

    weekly = await _say(bot, ADMIN, "/schedule 1 每周 周一,周四 09:00")
    assert "报送安排为每周一、四 09:00" in weekly
    assert "Asia/Shanghai" not in weekly  # the default timezone goes without saying
    assert "每周二、五 17:30" in await _say(bot, ADMIN, "/schedule 1 每周二、五 17:30")
    other_zone = await _say(bot, ADMIN, "/schedule 1 工作日 09:00 Asia/Urumqi")
    assert "法定工作日 09:00 (Asia/Urumqi)" in other_zone
    assert "报送时限为 4小时" in await _say(bot, ADMIN, "/window 1 4小时")
    # A custom question is a 填报事项: 问题 means a ledger problem only.
    custom = await _say(bot, ADMIN, "/questions 1 形象进度 | 下周计划")
    assert "填报事项" in custom and "问题" not in custom
    assert "已恢复默认填报事项" in await _say(bot, ADMIN, "/questions 1 默认")
    assert "已为项目 1“城南道路”发起进展报送" in await _say(bot, ADMIN, "/checkinnow 1")
    status = await _say(bot, ADMIN, "/status 1")
    assert "待报送：王芳" in status and "截止" in status
    assert "节假日" in await _say(bot, ADMIN, "/holiday 10月1日 至 10月3日")
    assert "3天" in await _say(bot, ADMIN, "/deadline 默认 1 3天")
    assert "已关闭定时报送" in await _say(bot, ADMIN, "/schedule 1 关闭")


async def test_problem_deadlines_in_chinese(bot: Harness) -> None:
    await _say(bot, ADMIN, "/newproject 城南道路")
    await _join(bot, "/invite 1 秘书", SECRETARY)
    await _join(bot, "/invite 1 负责人", LEADER)
    assert "问题 #1" in await _say(bot, SECRETARY, "/newproblem 1 电力线路迁改滞后")
    assert "2026-12-01 18:00" in await _say(bot, LEADER, "/deadline 1 12月1日")
    extended = await _say(bot, LEADER, "/extend 1 3天 等待供电公司排期")
    assert "2026-12-04 18:00" in extended
    usage = await _say(bot, LEADER, "/extend 1 三天 原因")
    assert "3天" in usage  # the refusal shows the Chinese form to type


async def test_usage_lines_show_the_chinese_forms(bot: Harness) -> None:
    await _say(bot, ADMIN, "/language 中文")
    assert "每周 周一,周四 09:00" in await _say(bot, ADMIN, "/schedule")
    assert "秘书|负责人" in await _say(bot, ADMIN, "/invite")
    assert "10月1日" in await _say(bot, ADMIN, "/holiday")
