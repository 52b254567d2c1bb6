"""What a mission run did, read back from its database (what `perseverance mission` prints)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from perseverance.mission.sol_files import IMAGES_DIR
from perseverance.store import Store


def mission_summary(store: Store, run_id: str, folder: Path) -> dict[str, Any]:
    """What the run did, from its database: landing, sols, odometry, samples, depot, outputs."""
    events = store.events(run_id)
    landing = next(e.payload for e in events if e.name == "landing")
    sols = store.sols(run_id)
    samples = store.samples(run_id)
    tubes = {t.tube_id: t for t in store.tubes(run_id)}
    depot = [e.payload for e in events if e.name == "tube_deposited"]
    products = store.products(run_id)
    report = [p for p in products if p.kind == "report"]
    images = [p for p in products if p.path.startswith(IMAGES_DIR + "/")]  # cameras, EDL
    moxie = store.moxie_runs(run_id)
    weather = store.weather_sols(run_id)
    return {
        "run": run_id,
        "landing": {
            k: landing.get(k)
            for k in ("utc", "lmst", "latitude_deg", "longitude_deg", "east_m", "north_m")
        },
        "sols_flown": len(sols),
        "last_sol": sols[-1].sol if sols else None,
        "odometry_m": sum(s.odometry_m for s in sols),
        "samples_sealed": len(samples),
        "samples_by_type": dict(Counter(s.sample_type for s in samples)),
        "kept_aboard": sum(1 for s in samples if tubes[s.tube_id].state == "stored"),
        "depot": [
            {
                "name": d["name"],
                "designation": d["designation"],
                "east_m": d["east_m"],
                "north_m": d["north_m"],
            }
            for d in depot
        ],
        "database": store.name,
        "folder": str(folder),
        "report": str(folder / report[0].path) if report else None,
        "images": sum(1 for p in images if p.status == "ok"),
        "images_failed": sum(1 for p in images if p.status == "failed"),
        "weather_sols": len(weather),
        "moxie_runs": len(moxie),
        "moxie_o2_g": sum(r.grams for r in moxie),
        "recordings": sum(1 for p in products if p.kind == "audio" and p.status == "ok"),
        "radargrams": sum(1 for p in products if p.kind == "radargram" and p.status == "ok"),
        "products_failed": sum(1 for p in products if p.status == "failed"),
    }
