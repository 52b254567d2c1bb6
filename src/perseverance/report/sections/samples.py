"""The samples section of ``report.html``: the sealed samples and failed coring attempts."""

from __future__ import annotations

from perseverance.report.html import h3, p, table
from perseverance.report.run_data import RunData, sample_state
from perseverance.report.text import num


def render(data: RunData) -> str:
    """One row per sample (name, designation, type, sol, tube, place, state)."""
    if not data.samples:
        return p("No samples yet.", "none")
    rows = []
    for k, s in enumerate(data.samples, 1):
        tube = data.tubes.get(s.tube_id)
        where = (num(s.east_m), num(s.north_m), sample_state(tube))
        rows.append(
            (
                k,
                s.name,
                getattr(tube, "designation", None),
                s.sample_type,
                s.sol,
                s.tube_id,
                *where,
            )
        )
    header = "#|name|designation|type|sol|tube|east [m]|north [m]|state"
    out = [table(header, rows, {0, 4, 6, 7})]
    failed = [
        (e.sol, (e.payload or {}).get("name"), (e.payload or {}).get("outcome"))
        for e in data.events
        if e.name == "core_failed"
    ]
    if failed:
        out += [h3("Failed coring attempts"), table("sol|name|outcome", failed, {0})]
    return "".join(out)
