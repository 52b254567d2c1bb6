"""The report's HTML pieces: readable colours (WCAG contrast) and tables that scroll."""

from __future__ import annotations

import re

from perseverance.report.html import CSS, table

#: WCAG 2 AA: the least contrast ratio of normal-size text.
MIN_CONTRAST = 4.5
#: Ancestor selectors under which a rule for ``th``/``td`` reaches the cells of the
#: header's run-details table.
HEADER_ANCESTORS = {
    "header",
    ".inner",
    "div",
    ".scroll",
    "table",
    "tbody",
    "tr",
    "tr:nth-child(even)",
}


def rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, one entry per comma-separated selector."""
    out = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        decls = dict(
            (k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in body.split(";") if d)
        )
        out += [(" ".join(s.split()), decls) for s in selectors.split(",")]
    return out


def luminance(hex_colour: str) -> float:
    """Relative luminance of ``#rgb`` or ``#rrggbb`` (WCAG 2)."""
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def applies_to_header_cells(selector: str) -> bool:
    *ancestors, last = selector.split()
    return last in ("th", "td") and all(a in HEADER_ANCESTORS for a in ancestors)


def test_contrast_helper_matches_wcag():
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


def test_header_run_details_are_readable():
    """The header's text colour against its background and every background the CSS may
    give a cell of its table (a light zebra stripe under light text was unreadable)."""
    css = rules(CSS)
    header = next(d for s, d in css if s == "header")
    text = [d["color"] for s, d in css if d.get("color") and s.startswith("header t")]
    assert text, "the header table sets its text colour"
    backgrounds = [header["background"]] + [
        d["background"] for s, d in css if "background" in d and applies_to_header_cells(s)
    ]
    for fg in text:
        for bg in backgrounds:
            assert contrast(fg, bg) >= MIN_CONTRAST, (fg, bg)


def test_body_tables_are_readable():
    css = rules(CSS)
    text = next(d["color"] for s, d in css if s == "body")
    for selector, decls in css:
        if "background" in decls and selector.split()[-1] in ("th", "td"):
            assert contrast(text, decls["background"]) >= MIN_CONTRAST, selector


def test_tables_scroll_sideways():
    html = table("a|b", [(1, 2)])
    assert html.startswith('<div class="scroll"><table>') and html.endswith("</table></div>\n")
    scroll = next(d for s, d in rules(CSS) if s == ".scroll")
    assert scroll["overflow-x"] == "auto"
