"""The office's plan workbook: the template (/template) and reading a filled one back.

Reading checks everything before anything is written: every problem is named by sheet, row and
column, and a workbook with any problem imports nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.errors import UserError
from bot.parsing import parse_date
from bot.plans.money import parse_money
from bot.plans.service import ABSURD, STAGE_NAMES

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # a county has hundreds of projects, thousands of milestones at most
PROJECTS = "项目 Projects"
MILESTONES = "节点 Milestones"
# Column headers: (field, "中文 English"); a header matches on either half.
PROJECT_COLUMNS = (
    ("name", "项目名称 Name"),
    ("stage", "阶段 Stage"),
    ("total_investment", "总投资（万元） Total investment"),
    ("year_investment", "年度计划投资（万元） Planned this year"),
    ("work_line", "工作线 Work line"),
    ("locality", "属地 Locality"),
    ("planned_start", "计划开工 Planned start"),
    ("planned_completion", "计划竣工 Planned completion"),
    ("year_target", "年度目标 Target of the year"),
)
MILESTONE_COLUMNS = (
    ("project", "项目名称 Project"),
    ("name", "节点名称 Milestone"),
    ("planned_on", "计划完成日期 Planned date"),
)
EXAMPLE_PROJECT = (
    "城南污水处理厂",
    "在建",
    35000,
    12000,
    "工业线",
    "城关镇",
    date(2026, 3, 1),
    date(2027, 6, 30),
    "主体完工",
)
EXAMPLE_MILESTONE = ("城南污水处理厂", "主体结构封顶", date(2026, 9, 30))


def template() -> bytes:
    """An XLSX with the two sheets, Chinese and English headers, an example row each, a list
    for the stage and date checks on the date columns."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    projects = book.active
    assert projects is not None
    projects.title = PROJECTS
    projects.append([header for _, header in PROJECT_COLUMNS])
    projects.append(list(EXAMPLE_PROJECT))
    stages = DataValidation(
        type="list", formula1='"在谈,签约,落地,在建,竣工投产"', allow_blank=True
    )
    stages.add("B2:B2000")
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
    dates.add("G2:H2000")
    projects.add_data_validation(stages)
    projects.add_data_validation(dates)
    milestones = book.create_sheet(MILESTONES)
    milestones.append([header for _, header in MILESTONE_COLUMNS])
    milestones.append(list(EXAMPLE_MILESTONE))
    milestone_dates = DataValidation(type="date", operator="greaterThan", formula1="36526")
    milestone_dates.add("C2:C20000")
    milestones.add_data_validation(milestone_dates)
    for sheet in (projects, milestones):
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class Checked:
    """A workbook read and checked: what it would change, or where it is wrong."""

    projects: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, str]] = field(default_factory=list)
    errors: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet, row, col, key
    new: int = 0
    changed: int = 0

    @property
    def payload(self) -> dict[str, Any]:
        return {"projects": self.projects, "milestones": self.milestones}


def read(
    data: bytes,
    file_name: str,
    existing: dict[str, dict[str, Any]],
    milestone_keys: set[tuple[str, str, str]],
    today: date,
) -> Checked:
    """Check a filled template; :class:`UserError` for a file that is not one at all."""
    if not file_name.lower().endswith(".xlsx"):
        raise UserError("import.not_xlsx", name=file_name[:60])
    if len(data) > MAX_BYTES:
        raise UserError("import.too_big", mb=MAX_BYTES // (1024 * 1024))
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same answer
        raise UserError("import.unreadable", name=file_name[:60]) from None
    checked = Checked()
    sheets = {sheet.title: sheet for sheet in book.worksheets}
    for title in (PROJECTS, MILESTONES):
        if title not in sheets:
            raise UserError("import.missing_sheet", sheet=title)
    rows = _rows(sheets[PROJECTS], PROJECT_COLUMNS, checked)
    names = set()
    for number, row in rows:
        project = _project(number, row, checked, today)
        if project is None:
            continue
        key = project["name"].lower()
        if key in names:
            checked.errors.append((PROJECTS, number, "A", "import.duplicate"))
            continue
        names.add(key)
        before = existing.get(key)
        if before is None:
            checked.new += 1
        elif any(before.get(f) != v for f, v in project["fields"].items()):
            checked.changed += 1
        checked.projects.append(project)
    for number, row in _rows(sheets[MILESTONES], MILESTONE_COLUMNS, checked):
        milestone = _milestone(number, row, checked, names | set(existing), today)
        if milestone is None:
            continue
        key = (milestone["project"].lower(), milestone["name"], milestone["planned_on"])
        if key not in milestone_keys:
            checked.milestones.append(milestone)
    return checked


def _rows(
    sheet: Any, columns: tuple[tuple[str, str], ...], checked: Checked
) -> list[tuple[int, dict[str, Any]]]:
    """The sheet's data rows as {field: value}, after checking its headers, merged cells,
    formulas and size."""
    title = sheet.title
    if sheet.merged_cells.ranges:
        first = str(next(iter(sheet.merged_cells.ranges)))
        checked.errors.append((title, 0, first, "import.merged"))
        return []
    if sheet.max_row > MAX_ROWS + 1:
        raise UserError("import.too_many_rows", sheet=title, most=MAX_ROWS)
    header = [str(c.value or "").strip() for c in sheet[1]]
    positions: dict[str, int] = {}
    for field_name, label in columns:
        halves = {label, *label.split(" ", 1)}
        found = next((i for i, h in enumerate(header) if h in halves), None)
        if found is None:
            raise UserError("import.bad_headers", sheet=title, column=label)
        positions[field_name] = found
    rows = []
    for cells in sheet.iter_rows(min_row=2):
        number = cells[0].row
        values: dict[str, Any] = {}
        for field_name, index in positions.items():
            cell = cells[index] if index < len(cells) else None
            if cell is None:
                values[field_name] = None
                continue
            if cell.data_type == "f":
                checked.errors.append((title, number, cell.column_letter, "import.formula"))
            values[field_name] = cell.value
        if all(v in (None, "") for v in values.values()):
            continue
        rows.append((number, values))
    return rows


def _column(columns: tuple[tuple[str, str], ...], name: str) -> str:
    return "ABCDEFGHIJ"[[f for f, _ in columns].index(name)]


def _project(
    number: int, row: dict[str, Any], checked: Checked, today: date
) -> dict[str, Any] | None:
    def wrong(name: str, key: str) -> None:
        checked.errors.append((PROJECTS, number, _column(PROJECT_COLUMNS, name), key))

    name = str(row["name"] or "").strip()
    if not name:
        wrong("name", "import.no_name")
        return None
    fields: dict[str, Any] = {}
    stage = str(row["stage"] or "").strip()
    if stage:
        if stage not in STAGE_NAMES and stage.lower() not in STAGE_NAMES:
            wrong("stage", "import.bad_stage")
        else:
            fields["stage"] = STAGE_NAMES.get(stage) or STAGE_NAMES[stage.lower()]
    for money in ("total_investment", "year_investment"):
        value = row[money]
        if value in (None, ""):
            continue
        try:
            fields[money] = parse_money(str(value))
        except UserError:
            wrong(money, "import.bad_money")
    total, year = fields.get("total_investment"), fields.get("year_investment")
    if total is not None and year is not None and year > ABSURD * max(total, 1):
        wrong("year_investment", "import.absurd")
    for day_field in ("planned_start", "planned_completion"):
        try:
            day = _day(row[day_field], today)
        except ValueError:
            wrong(day_field, "import.bad_date")
            continue
        if day is not None:
            fields[day_field] = day.isoformat()
    start, end = fields.get("planned_start"), fields.get("planned_completion")
    if start and end and end < start:
        wrong("planned_completion", "import.end_before_start")
    for text in ("work_line", "locality", "year_target"):
        value = str(row[text] or "").strip()
        if value:
            fields[text] = value[: 1000 if text == "year_target" else 200]
    return {"name": name[:200], "fields": fields}


def _milestone(
    number: int, row: dict[str, Any], checked: Checked, projects: set[str], today: date
) -> dict[str, str] | None:
    def wrong(name: str, key: str) -> None:
        checked.errors.append((MILESTONES, number, _column(MILESTONE_COLUMNS, name), key))

    project = str(row["project"] or "").strip()
    name = str(row["name"] or "").strip()
    if not project or project.lower() not in projects:
        wrong("project", "import.unknown_project")
        return None
    if not name:
        wrong("name", "import.no_name")
        return None
    try:
        day = _day(row["planned_on"], today)
    except ValueError:
        day = None
    if day is None:
        wrong("planned_on", "import.bad_date")
        return None
    return {"project": project, "name": name[:200], "planned_on": day.isoformat()}


def _day(value: Any, today: date) -> date | None:
    """A cell's date (a real date, or text as /plan takes it); None if empty; ValueError if
    not a date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value), today)
    except UserError:
        raise ValueError(value) from None
