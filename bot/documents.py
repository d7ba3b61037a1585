"""Official documents as an office writes them (GB/T 9704 in spirit): A4, the title in a bold
black face, the body in 仿宋 at 三号 (16 pt) with fixed 28 pt lines and two-character first-line
indents, page numbers centred at the foot (— 1 —). Fonts an office PC has (仿宋_GB2312, 黑体;
WPS and Word substitute their own when missing)."""

from __future__ import annotations

import io
from collections.abc import Sequence

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"


def _font(run: object, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name  # type: ignore[attr-defined]
    run.font.size = Pt(size)  # type: ignore[attr-defined]
    run.font.bold = bold  # type: ignore[attr-defined]
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), name)


def _page_number(section: object) -> None:
    """— PAGE — centred in the footer, as a field Word and WPS fill in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), BODY_FONT, 14)
    run = paragraph.add_run()
    _font(run, BODY_FONT, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _font(paragraph.add_run(" —"), BODY_FONT, 14)


def official_document(
    masthead: str, number: str, title: str, paragraphs: Sequence[str], signature: Sequence[str]
) -> bytes:
    """A notice: the masthead (red, centred) and its number, the title, the body, and the
    issuing office and date at the right."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def paragraph(
        text: str,
        font: str,
        size: float,
        *,
        align: WD_ALIGN_PARAGRAPH | None = None,
        indent: bool = False,
        bold: bool = False,
        red: bool = False,
    ) -> None:
        p = document.add_paragraph()
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        p.paragraph_format.line_spacing = Pt(28)
        p.paragraph_format.space_after = Pt(0)
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        run = p.add_run(text)
        _font(run, font, size, bold)
        if red:
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)

    paragraph(masthead, TITLE_FONT, 26, align=WD_ALIGN_PARAGRAPH.CENTER, red=True)
    paragraph(number, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph("", BODY_FONT, 16)
    paragraph(title, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph("", BODY_FONT, 16)
    for text in paragraphs:
        paragraph(text, BODY_FONT, 16, indent=True)
    paragraph("", BODY_FONT, 16)
    for text in signature:
        paragraph(text, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# A block of a report: ("heading", text), ("text", text) or ("table", headers, rows).
Block = tuple[object, ...]


def report_document(title: str, subtitle: str, blocks: Sequence[Block]) -> bytes:
    """Meeting material: the title, then headings (黑体), paragraphs (仿宋) and tables, with
    page numbers; tables repeat their header row on every page. Fonts come from the document's
    styles, set once (a font on every run made a 500-project pack take twice as long)."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(28)
    section.left_margin, section.right_margin = Mm(25), Mm(22)

    def style(name: str, font: str, size: float, base: str | None = None) -> object:
        if base is None:
            found = document.styles[name]
        else:
            found = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            found.base_style = document.styles[base]
        found.font.name = font
        found.font.size = Pt(size)
        fonts = found.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), font)
        return found

    style("Normal", BODY_FONT, 10.5)
    body = style("Bangban Body", BODY_FONT, 14, "Normal")
    body.paragraph_format.first_line_indent = Pt(28)  # type: ignore[attr-defined]
    heading = style("Bangban Heading", HEADING_FONT, 16, "Normal")
    heading.paragraph_format.space_before = Pt(12)  # type: ignore[attr-defined]
    cell_heading = style("Bangban Cell Heading", HEADING_FONT, 10.5, "Normal")
    top = document.add_paragraph()
    top.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(top.add_run(title), TITLE_FONT, 22, bold=True)
    sub = document.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(sub.add_run(subtitle), BODY_FONT, 16)

    def styled(paragraph: object, found: object) -> None:
        # By the style's id: python-docx looks a style object up among all styles each time.
        paragraph._p.get_or_add_pPr().style = found.style_id  # type: ignore[attr-defined]

    for block in blocks:
        kind = block[0]
        if kind == "heading":
            styled(document.add_paragraph(str(block[1])), heading)
        elif kind == "text":
            styled(document.add_paragraph(str(block[1])), body)
        else:
            headers = [str(h) for h in block[1]]  # type: ignore[attr-defined]
            rows = block[2]
            table = document.add_table(rows=1, cols=len(headers))
            table._tbl.tblPr.style = "TableGrid"  # by id, as for paragraphs
            for cell, text in zip(table.rows[0].cells, headers, strict=True):
                cell.paragraphs[0].text = text
                styled(cell.paragraphs[0], cell_heading)
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            table.rows[0]._tr.get_or_add_trPr().append(repeat)
            for values in rows:  # type: ignore[attr-defined]
                for cell, value in zip(table.add_row().cells, values, strict=True):
                    cell.text = str(value)
    _page_number(section)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
