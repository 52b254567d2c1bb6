"""HTML pieces of ``report.html``: the CSS, escaping, tables, cards and inlined figures.

Every string from the database is escaped where it enters the page: in `table`, `card`,
`figure`, `p` and `h3` (through `cell`).
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Iterable, Sequence
from html import escape

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;
color:#222;background:#faf8f5;line-height:1.4}
main{max-width:1100px;margin:0 auto;padding:0 1.2em 3em}
header{background:#3b2a20;color:#f4e9dc;padding:1.2em 0}
header .inner{max-width:1100px;margin:0 auto;padding:0 1.2em}
header h1{margin:0 0 .2em;font-size:1.7em}
header table{color:#f4e9dc}header td,header th{border:none;padding:.1em .8em .1em 0}
nav{font-size:.9em;margin:.8em 0}nav a{margin-right:1em;color:#8a3b12}
h2{border-bottom:2px solid #c1440e;padding-bottom:.2em;margin-top:2em;color:#5a2a10}
h3{color:#5a2a10;margin-top:1.4em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
main th{background:#efe6dc}main tr:nth-child(even) td{background:#f6f1ea}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.7em}
.card{background:#fff;border:1px solid #e2d6c8;border-radius:6px;padding:.6em .9em;min-width:10em}
.card .v{font-size:1.35em;font-weight:600;color:#8a3b12}.card .k{font-size:.8em;color:#666}
.card .d{font-size:.78em;color:#444}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #e2d6c8}
figcaption{font-size:.82em;color:#555}
.note{color:#7a5a00;background:#fff6d6;border-left:3px solid #e0b000;padding:.3em .6em}
.none{color:#666;font-style:italic}
"""


def cell(value: object) -> str:
    """A value as escaped HTML text; None is a dash."""
    return "–" if value is None else escape(str(value), quote=True)


def table(header: str, rows: Iterable[Sequence[object]], numeric: Collection[int] = ()) -> str:
    """A table: column titles separated by ``|``; every cell is escaped here (None: "–"),
    the columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{cell(h)}</th>" for h in header.split("|"))
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell(c)}</td>' if i in numeric else f"<td>{cell(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return scroll(f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>") + "\n"


def scroll(html: str) -> str:
    """``html`` (a table) in a box that scrolls sideways rather than overflow a phone screen."""
    return f'<div class="scroll">{html}</div>'


def figure(png: bytes, alt: str, caption: str = "") -> str:
    """A PNG inlined as a base64 ``data:`` URI, with an optional caption."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{cell(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="data:image/png;base64,{data}" alt="{cell(alt)}">{cap}</figure>\n'


def p(text: str, cls: str = "") -> str:
    """A paragraph of plain text; ``cls`` ``none`` for "nothing yet", ``note`` for a warning."""
    return f'<p class="{cls}">{cell(text)}</p>\n' if cls else f"<p>{cell(text)}</p>\n"


def h3(text: str) -> str:
    """A sub-heading."""
    return f"<h3>{cell(text)}</h3>\n"


def card(label: str, value: str, detail: str = "") -> str:
    """A summary card: a label, a big value and an optional detail line."""
    d = f'<div class="d">{cell(detail)}</div>' if detail else ""
    k, v = f'<div class="k">{cell(label)}</div>', f'<div class="v">{cell(value)}</div>'
    return f'<div class="card">{k}{v}{d}</div>'
