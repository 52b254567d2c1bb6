"""The link home inside a mission: the relay passes, the onboard store, what each pass sends.

The passes of the routine relays over the landing site are computed once for the
whole run (`perseverance.relay.passes`), the light time once on an hourly table
(`perseverance.mars.ephemeris.LightTimeTable`). Each sol, what the rover made is
queued in the onboard store (`perseverance.relay.downlink`):

* every product file the rover itself made, at its size and priority, acquired at its
  LMST (or, without one, at the end of the sol); an image's thumbnail as its own
  product (``telecom.toml``'s thumbnail priority) that the full frame waits for;
* the data each activity makes besides its files (``telecom.toml``'s rates), one item
  per activity, at its kind's priority, acquired when it ends.

Files made on Earth from data already received (plots, spectrograms, the report) are
never queued, and EDL's own files came down live, relayed by the orbiters overhead at
touchdown ("bent pipe"): they are received one light time after touchdown.

Then each relay pass the sol flew, and its X-band session direct to Earth (while
Earth is up, at the high-gain antenna's rate), empties the queue in priority order,
in time order; no relay pass runs in the solar conjunction: products wait it out.
The queue is part of the checkpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from perseverance.errors import StoreError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mars.ephemeris import LightTimeTable, earth_in_site_sky
from perseverance.mission.clock import MissionClock
from perseverance.relay.downlink import Item, OnboardStore, StoreOverflowError
from perseverance.relay.orbits import Constellation, load_orbiters
from perseverance.relay.passes import Passes, Site, find_passes
from perseverance.rover.telecom import Telecom

__all__ = ["GROUND_KINDS", "LIVE_KINDS", "DataReturn", "touchdown_confirmed"]

#: Product kinds made on Earth from data already received: never queued onboard.
GROUND_KINDS = frozenset({"edl_plot", "spectrogram", "radargram_plot", "report"})
#: EDL's own files, relayed live by the orbiters overhead at touchdown.
LIVE_KINDS = frozenset({"edl_telemetry", "edl_events", "edl_summary"})
#: Products covering a span of time (MEDA's sol, a recording, a MOXIE run): whole at
#: the end of their sol, whatever LMST their row gives (their start).
SPAN_KINDS = frozenset({"meda_table", "audio", "moxie_series"})
#: The kind of an image's thumbnail in the queue.
THUMBNAIL_KIND = "image_thumbnail"
#: The light-time table reaches this far past the last sol (the last products' arrival).
_AFTER_LAST_SOL = timedelta(days=2)
#: The link name of a direct-to-Earth session in the downlinks table.
DTE = "dte"
#: The grid of Earth's elevation over a sol [LMST h].
_EARTH_STEP_H = 1.0 / 6.0
#: The orbiters that relayed EDL (B: MRO and MAVEN, docs/reference/instruments.md §6).
EDL_RELAYS = ("mro", "maven")


def _utc64(t: datetime) -> np.datetime64:
    return np.datetime64(t.replace(tzinfo=None), "us")


def _iso(t: np.datetime64) -> str:
    return str(np.datetime_as_string(t, unit="ms")) + "Z"


def _dt(t: np.datetime64) -> datetime:
    out: datetime = t.astype("datetime64[us]").item()
    return out.replace(tzinfo=UTC)


class DataReturn:
    """The run's passes, light-time table and onboard store."""

    def __init__(
        self,
        clock: MissionClock,
        last_sol: int,
        telecom: Telecom,
        site: Site,
        folder: Path,
        onboard: dict[str, Any] | None = None,
    ):
        self.clock = clock
        self.folder = folder
        self.site = site
        self.telecom = telecom
        self.fleet: Constellation = load_orbiters()
        start, end = clock.sol_start_utc(0), clock.sol_start_utc(last_sol + 1)
        self.passes = find_passes(start, end, site=site, constellation=self.fleet)
        longest = max(o.elements.store_forward_delay_s for o in self.fleet.orbiters)
        self.light = LightTimeTable.over(start, end + _AFTER_LAST_SOL + timedelta(seconds=longest))
        capacity = telecom.onboard_store.capacity_bits
        try:
            self.store = OnboardStore.from_json(onboard) if onboard else OnboardStore(capacity)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(
                f"the run's checkpoint holds a damaged onboard store ({exc}): start a new run"
            ) from None

    def passes_on(self, sol: int) -> Passes:
        """The passes rising on ``sol`` (LMST midnight to midnight)."""
        lo = _utc64(self.clock.sol_start_utc(sol))
        hi = _utc64(self.clock.sol_start_utc(sol + 1))
        return self.passes.select((self.passes.rise_utc >= lo) & (self.passes.rise_utc < hi))

    @property
    def free_bits(self) -> float:
        """The store's free space less its reserve [bit] (what the planner may fill)."""
        return max(self.store.free_bits - self.telecom.onboard_store.reserve_bits, 0.0)

    def queue(
        self,
        sol: int,
        products: list[dict[str, Any]],
        activity_data: list[Item],
        *,
        sent: set[str] | frozenset[str] = frozenset(),
    ) -> list[dict[str, Any]]:
        """Queue the sol's products (but those already ``sent``: EDL's live files) and
        activity data; the events of what did not fit (none when the planner kept within
        `free_bits`: data is never silently lost)."""
        items = [it for it in self._product_items(sol, products) if it.key not in sent]
        items += activity_data
        try:
            self.store.add(items)
            return []
        except StoreOverflowError as exc:  # the planner's estimate fell short: keep the first
            kept: list[Item] = []
            lost: list[Item] = []
            room = self.store.free_bits * (1.0 - 1e-9)  # below the store's own sum check
            for it in sorted(items, key=lambda x: x.priority):  # stable: thumbnails first
                if it.bits <= room and it.after not in {x.key for x in lost}:
                    kept.append(it)
                    room -= it.bits
                else:
                    lost.append(it)
            self.store.add(kept)
            return [
                {
                    "name": "onboard_store_full",
                    "sol": sol,
                    "payload": {
                        "reason": str(exc),
                        "lost": [it.key for it in lost],
                        "lost_bits": float(sum(it.bits for it in lost)),
                    },
                }
            ]

    def acquired_utc(self, row: dict[str, Any], sol: int) -> datetime:
        """When a product row of ``sol`` was made (aware UTC): at its LMST, EDL's files at
        touchdown, a product covering a span of time (`SPAN_KINDS`) and anything without
        an LMST at the end of the sol."""
        if row.get("kind") in LIVE_KINDS:
            return self.clock.landing_utc
        lmst = row.get("lmst")
        if lmst and row.get("kind") not in SPAN_KINDS:
            return self.clock.utc(sol, _lmst_s(str(lmst)))
        return self.clock.sol_start_utc(sol + 1)

    def _product_items(self, sol: int, products: list[dict[str, Any]]) -> list[Item]:
        items: list[Item] = []
        ground = {str(r.get("path")) for r in products if r.get("kind") in GROUND_KINDS}
        queued = {str(k): int(p) for k, p in zip(self.store.key, self.store.priority, strict=True)}
        for row in products:
            kind = str(row.get("kind"))
            if row.get("status", "ok") != "ok" or kind in GROUND_KINDS:
                continue
            size = row.get("bytes")
            if not size:
                continue
            when = _utc64(self.acquired_utc(row, sol))
            priority = int(row.get("priority") or self.telecom.downlink.default_priority)
            thumb = row.get("thumbnail")
            after = None
            if thumb in ground:  # e.g. a recording's spectrogram, drawn on Earth
                thumb = None
            if thumb and thumb != row["path"] and str(thumb) in queued:
                # a thumbnail shared by several products (EDL): wait for it if it goes first
                after = str(thumb) if queued[str(thumb)] <= priority else None
            elif thumb and thumb != row["path"] and (self.folder / thumb).is_file():
                tbytes = (self.folder / thumb).stat().st_size
                tp = min(self.telecom.downlink.thumbnail_priority, priority)
                items.append(Item(str(thumb), THUMBNAIL_KIND, tp, 8.0 * tbytes, when, sol))
                queued[str(thumb)] = tp
                after = str(thumb)
            if str(row["path"]) in queued:  # already queued as another product's thumbnail
                continue
            items.append(Item(str(row["path"]), kind, priority, 8.0 * int(size), when, sol, after))
            queued[str(row["path"])] = priority
        return items

    def activity_item(self, sol: int, index: int, kind: str, bits: float, end_s: float
                      ) -> Item | None:  # fmt: skip
        """The data an activity made besides its files (None when it made none)."""
        if bits <= 0:
            return None
        when = _utc64(self.clock.utc(sol, end_s))
        key = f"activity/sol_{sol:04d}/{index:03d}"
        return Item(key, kind, self.telecom.priority(kind), bits, when, sol)

    def earth_window_h(self, sol: int) -> tuple[float, float] | None:
        """The LMST hours [h] of the sol's longest stretch with Earth above the DTE
        elevation (``telecom.toml``), on a 10-minute grid; None if Earth never rises so high."""
        hours = np.arange(0.0, 24.0 + 1e-9, _EARTH_STEP_H)
        t0 = _utc64(self.clock.sol_start_utc(sol))
        utc = t0 + np.round(hours * LMST_HOUR_S * 1e6).astype("timedelta64[us]")
        up = earth_in_site_sky(utc, self.site.latitude_deg, self.site.longitude_east_deg)
        above = np.asarray(up.elevation_deg) >= self.telecom.dte.min_elevation_deg
        if not above.any():
            return None
        edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
        k = int(np.argmax(ends - starts))
        return float(hours[starts[k]]), float(hours[ends[k]])

    def downlink(
        self, sol: int, passes: Passes, dte_sessions: list[tuple[float, float]]
    ) -> tuple[list[dict[str, Any]], float]:
        """Fly the sol's relay ``passes`` and X-band sessions (start, duration [s from
        LMST midnight]) in time order: the downlink rows and the bits sent."""
        windows = [(passes.rise_utc[i], passes.set_utc[i], float(passes.volume_bits[i]),
                    str(passes.orbiter[i])) for i in range(len(passes))]  # fmt: skip
        windows += [
            (_utc64(self.clock.utc(sol, start)), _utc64(self.clock.utc(sol, start + length)),
             self.telecom.dte.downlink_bps * length, DTE)
            for start, length in dte_sessions
        ]  # fmt: skip
        windows.sort(key=lambda w: w[0])
        rows: list[dict[str, Any]] = []
        before = self.store.used_bits
        for rise, set_, volume, link in windows:
            delay = 0.0 if link == DTE else self.fleet.orbiter(link).elements.store_forward_delay_s
            sent = self.store.relay(
                rise, set_, volume, link, delay_s=delay, light_time_s=self.light
            )
            rows += [
                {
                    "item": r["key"],
                    "kind": r["kind"],
                    "priority": r["priority"],
                    "bits": r["bits"],
                    "acquired_sol": r["sol"],
                    "orbiter": link,
                    "acquired_utc": _dt(r["acquired_utc"]),
                    "sent_utc": _dt(r["sent_utc"]),
                    "received_utc": _dt(r["received_utc"]),
                }
                for r in sent.rows()
            ]
        return rows, before - self.store.used_bits


def _lmst_s(text: str) -> float:
    h, m, s = (int(x) for x in text.split(":"))
    return (h + m / 60.0 + s / 3600.0) * LMST_HOUR_S


def touchdown_confirmed(
    touchdown_utc: datetime, site: Site, light: LightTimeTable, products: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The "touchdown confirmed" event (spacecraft and Earth-received times, the EDL
    relays above the horizon at touchdown) and the downlink rows of EDL's live files."""
    fleet = load_orbiters()
    t = _utc64(touchdown_utc)
    hour = np.timedelta64(3, "h")
    around = find_passes(t - hour, t, orbiters=list(EDL_RELAYS), site=site, mask_deg=0.0,
                         constellation=fleet)  # fmt: skip
    overhead = sorted({str(o) for o, r, s in zip(around.orbiter, around.rise_utc, around.set_utc,
                                                 strict=True) if r <= t <= s})  # fmt: skip
    light_s = float(light(np.array([t]))[0])
    received = t + np.timedelta64(int(np.ceil(light_s * 1e6)), "us")
    event = {
        "name": "touchdown_confirmed",
        "sol": 0,
        "payload": {
            "spacecraft_utc": _iso(t),
            "earth_received_utc": _iso(received) if overhead else None,
            "light_time_s": light_s,
            "relays": overhead,
            "note": (
                "telemetry relayed live (bent pipe) by " + " and ".join(o.upper() for o in overhead)
                if overhead
                else "no EDL relay above the horizon at touchdown: confirmed at the next pass"
            ),
        },
    }
    rows = []
    if overhead:
        for p in products:
            if p.get("kind") in LIVE_KINDS and p.get("bytes"):
                rows.append(
                    {
                        "item": p["path"],
                        "kind": p["kind"],
                        "priority": 1,
                        "bits": 8.0 * p["bytes"],
                        "acquired_sol": 0,
                        "orbiter": overhead[0],
                        "acquired_utc": touchdown_utc,
                        "sent_utc": touchdown_utc,
                        "received_utc": _dt(received),
                    }
                )
    return event, rows
