"""A PDS4-style label beside every product file a sol made (`perseverance.products`).

Each ``ok`` product row with a file gets ``<file>.xml`` beside it, observed at its
acquisition time; an image's thumbnail gets its own. Labels live in the sol's product
folders, so a sol rolled back or resumed loses them with its files. A label that
cannot be written never stops the mission: it becomes a ``label_failed`` event with
the reason, and the product stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from perseverance.products import write_label

__all__ = ["label_products"]

#: Kinds that get no label: the report is a page about the run, not a product of it.
UNLABELLED_KINDS = frozenset({"report"})


def label_products(
    folder: Path,
    run_id: str,
    rows: list[dict[str, Any]],
    acquired: Callable[[dict[str, Any]], datetime],
) -> list[dict[str, Any]]:
    """Write the labels of ``rows`` (product rows of one sol); the events of those that
    failed. ``acquired`` gives a row's acquisition time (aware UTC)."""
    events: list[dict[str, Any]] = []
    done: set[str] = set()
    rows_by_path = {str(r.get("path")) for r in rows}
    for row in rows:
        if row.get("status", "ok") != "ok" or row.get("kind") in UNLABELLED_KINDS:
            continue
        targets = [row]
        thumb = row.get("thumbnail")
        if thumb and thumb not in rows_by_path:  # a thumbnail that is no row of its own
            targets.append(row | {"kind": "image_thumbnail", "path": thumb, "thumbnail": None,
                                  "width_px": None, "height_px": None})  # fmt: skip
        for target in targets:
            if target["path"] in done:
                continue
            done.add(target["path"])
            try:
                write_label(folder, target, run_id=run_id, observed_utc=acquired(row))
            except Exception as exc:  # a label must never stop the mission
                events.append(
                    {
                        "name": "label_failed",
                        "sol": row.get("sol"),
                        "payload": {"path": target["path"], "reason": str(exc).splitlines()[0]},
                    }
                )
    return events
