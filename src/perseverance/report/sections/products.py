"""The data-products section of ``report.html``: files recorded, by kind."""

from __future__ import annotations

from collections import defaultdict

from perseverance.report.html import p, table
from perseverance.report.run_data import RunData
from perseverance.store import ProductRow


def render(data: RunData) -> str:
    """One row per kind of product: how many files, their size and an example path."""
    if not data.products:
        return p("No data products recorded.", "none")
    by_kind: dict[str, list[ProductRow]] = defaultdict(list)
    for prod in data.products:
        by_kind[prod.kind].append(prod)
    rows = []
    for kind, items in sorted(by_kind.items()):
        size = sum(prod.bytes for prod in items if prod.bytes)
        rows.append((kind, len(items), f"{size / 1e6:,.1f}" if size else None, items[0].path))
    return table("kind|files|MB|e.g.", rows, {1, 2})
