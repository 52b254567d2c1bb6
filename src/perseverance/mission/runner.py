"""`perseverance mission`: fly the landing, then the surface mission sol by sol into the database.

Sol 0 flies entry, descent and landing (`perseverance.edl`) over the scenario's
site and puts the rover at its touchdown; each later sol builds its requests
(`requests`), plans them (`sol_planner`), carries them out (`surface`), and
commits everything it did, with the `MissionState` checkpoint, in one
transaction (`Store.sol_transaction`). A run killed at any moment resumes from
its last committed sol (`resume_mission`) and ends exactly as an uninterrupted
run with the same scenario and seed: every random draw comes from a generator
seeded by (seed, sol, purpose).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, assert_never

import numpy as np

from perseverance.acoustics.microphones import load_microphones
from perseverance.edl.api import fly_edl, prepare_edl
from perseverance.edl.results import EdlResult
from perseverance.edl.status import Status
from perseverance.edl.system import EdlSystem
from perseverance.edl.vehicle import load_vehicle
from perseverance.errors import ConfigError, LandingFailedError, ScenarioError, StoreError
from perseverance.mars.time import parse_utc
from perseverance.mission.clock import MissionClock
from perseverance.mission.data_return import DataReturn, touchdown_confirmed
from perseverance.mission.imaging import (
    ImagingMode,
    SolEvents,
    SolImager,
    check_imaging_mode,
)
from perseverance.mission.instruments import SolInstruments
from perseverance.mission.moxie_runs import MoxieOperator, check_campaign
from perseverance.mission.product_labels import label_products
from perseverance.mission.request_details import (
    DepotDrop,
    Drive,
    MoxieRun,
    PlainRun,
    RequestDetail,
    RetrySample,
    Sample,
    ScriptedDrive,
)
from perseverance.mission.requests import Models, sol_requests
from perseverance.mission.run_folder import (
    RUN_MARKER,
    check_new_run_folder,
    check_run_marker,
    forget_new_run_folder,
    write_run_marker,
)
from perseverance.mission.scenario import Scenario, load_scenario
from perseverance.mission.scenario_checks import conjunction_problem
from perseverance.mission.sol_files import discard_sol, remove_uncommitted
from perseverance.mission.sol_planner import Slot, SlotOutcome, plan_sol
from perseverance.mission.state import MissionState, Retry
from perseverance.mission.surface import SolRecord, SurfaceOps, tube_label
from perseverance.mission.views import heading_of, rover_pose
from perseverance.outputs import DEFAULT_RUNS_DIR, staged_directory
from perseverance.relay.downlink import Item
from perseverance.relay.passes import Site, jezero
from perseverance.report.edl_products import write_flight
from perseverance.report.mission_report import write_mission_report
from perseverance.rover.mobility import load_mobility
from perseverance.rover.moxie import load_moxie
from perseverance.rover.planner import traversability
from perseverance.rover.power import load_power, simulate_sol
from perseverance.rover.rimfax import load_rimfax
from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.caching import load_caching
from perseverance.rover.telecom import load_telecom
from perseverance.seeds import check_seed
from perseverance.store.database import Store, open_store
from perseverance.store.locate import DB_NAME, run_db_path, run_dir
from perseverance.store.schema import RUN_ID_LENGTH
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.multires import MultiResolutionTerrain
from perseverance.terrain.site import load_site
from perseverance.terrain.tiles import FineTerrain
from perseverance.weather.model import Weather
from perseverance.weather.params import load_meda

#: Data a sol is expected to make [bit], besides what waits onboard, for the number of
#: relay passes to ask for (E: imaging, a drive and the weather station at
#: telecom.toml's rates make ~0.5 Gbit).
TYPICAL_SOL_DATA_BITS = 6.0e8
#: State of charge at the start of sol 0 (E: charged in cruise).
LANDING_STATE_OF_CHARGE = 1.0
#: The event that records why a run failed.
RUN_FAILED = "run_failed"
#: Traverse points kept in memory for the rover's heading (the last few suffice).
_TAIL_POINTS = 64

Progress = Callable[[int, int, MissionState, "SolSummary"], None]


@dataclass(frozen=True)
class SolSummary:
    """What the progress display shows after a sol."""

    sol: int
    last_sol: int
    phase: str
    drive_m: float
    samples_sealed: int
    battery_soc: float
    skipped: int


@dataclass
class MissionRun:
    """An open run: its database, id and folder (and, for a new run, what was prepared)."""

    store: Store
    run_id: str
    folder: Path
    config: dict[str, Any]
    prepared: PreparedMission | None = None
    status: str = "running"


def _models(scenario: Scenario) -> Models:
    return Models(
        scenario=scenario,
        power=load_power(),
        mobility=load_mobility(),
        caching=load_caching(),
        telecom=load_telecom(),
        moxie=None if scenario.moxie is None else load_moxie(scenario.moxie.instrument),
    )


def _config(scenario: Scenario, seed: int) -> dict[str, Any]:
    power = load_power()
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "last_sol": scenario.last_sol,
        "seed": int(seed),
        "vehicle": scenario.edl.vehicle,
        "site": scenario.edl.site,
        "terrain_seed": int(seed),
        "battery_capacity_j": power.capacity_j,
        "battery_floor_j": power.floor_j,
    }


def _source(scenario: str) -> str:
    """The scenario as a resume will find it: a packaged name, or a file's absolute path."""
    path = Path(scenario)
    if path.suffix == ".toml" or "/" in scenario or path.exists():
        return str(path.resolve())
    return scenario


def _fingerprint(scenario: Scenario, models: Models) -> str:
    """SHA-256 of the scenario as loaded (before ``--sols``) and of the model data files."""
    digest = hashlib.sha256(scenario.model_dump_json().encode())
    instruments = (load_meda(), load_microphones(), load_rimfax())
    for model in (models.power, models.mobility, models.caching, models.telecom, models.moxie):
        if model is not None:
            digest.update(model.model_dump_json().encode())
    for data in instruments:  # the weather, microphones and radar feed the rows too
        digest.update(data.model_dump_json().encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class PreparedMission:
    """Everything a run needs, loaded and checked before anything is written.

    ``loaded`` is the scenario as in its file; ``scenario`` the same with the
    run's last sol; ``edl_system`` the vehicle targeted over its site.
    """

    loaded: Scenario
    scenario: Scenario
    models: Models
    edl_system: EdlSystem
    terrain_seed: int

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the scenario file's content and of the model data."""
        return _fingerprint(self.loaded, self.models)


def prepare_mission(scenario: str, *, seed: int, last_sol: int | None = None) -> PreparedMission:
    """Load and check the scenario and everything it names (vehicle, site, model data),
    and target the landing; raises a one-line `PerseveranceError` on any problem."""
    loaded = load_scenario(scenario)
    sc = loaded.with_last_sol(last_sol) if last_sol is not None else loaded
    models = dataclasses.replace(_models(loaded), scenario=sc)
    _check_site(sc)
    check_campaign(sc, models.moxie)
    system = prepare_edl(sc.edl.vehicle, terrain_seed=int(seed))
    c = sc.conjunction
    longitude = load_site(sc.edl.site).landing_site.longitude_deg
    problem = conjunction_problem(
        c.first_sol, c.last_sol, system.vehicle.entry.epoch_utc, longitude
    )
    if problem is not None:
        raise ScenarioError(f"scenario {sc.name}: {problem}")
    if not isinstance(system.terrain, LandingRegion):
        raise ScenarioError(
            f"scenario {sc.name}: the vehicle {sc.edl.vehicle} lands on no site model "
            "(target.site); the surface mission needs one to drive on"
        )
    return PreparedMission(loaded, sc, models, system, int(seed))


def _check_site(scenario: Scenario) -> None:
    """The scenario's ``edl.site`` loads, and is the site the vehicle targets."""
    site = load_site(scenario.edl.site)
    vehicle = load_vehicle(scenario.edl.vehicle)
    if vehicle.target.site is None or load_site(vehicle.target.site) != site:
        raise ScenarioError(
            f"scenario edl.site = {scenario.edl.site!r}, but the vehicle {scenario.edl.vehicle} "
            f"targets target.site = {vehicle.target.site!r}: name the same site in both"
        )


def check_run_id(run_id: str) -> str:
    """A run id a user may give: 1..64 printable characters naming one folder."""
    if not run_id or not run_id.isprintable() or run_id != run_id.strip():
        raise ConfigError(
            f"--run-id {run_id!r}: a run id is 1 to {RUN_ID_LENGTH} printable characters, "
            "without spaces at either end"
        )
    if len(run_id) > RUN_ID_LENGTH:
        raise ConfigError(
            f"--run-id {run_id[:20]}...: {len(run_id)} characters, at most {RUN_ID_LENGTH}"
        )
    run_dir(run_id)  # one folder name: no separators, not . or ..
    return run_id


def start_mission(
    scenario: str = "default",
    *,
    seed: int = 0,
    sols: int | None = None,
    db: str | None = None,
    runs_dir: Path = DEFAULT_RUNS_DIR,
    run_id: str | None = None,
    imaging: str = "default",
) -> MissionRun:
    """Create a run (and its database, by default ``runs/<run-id>/mission.db``).

    ``sols``: the last sol to fly (default: the scenario's); ``imaging``: ``default``,
    ``full`` or ``off`` (`mission.imaging`), kept in the run's config so a resume images
    as the run began. Validates everything
    (the scenario and the vehicle, site and model data it names, the run id, the
    run folder, the database) before anything is written.
    """
    check_seed(seed)
    mode = check_imaging_mode(imaging)
    if run_id is not None:
        check_run_id(run_id)
    prepared = prepare_mission(scenario, seed=seed, last_sol=sols)
    sc = prepared.scenario
    config = _config(sc, seed) | {
        "scenario_source": _source(scenario),
        "data_sha256": prepared.fingerprint,
        "imaging": mode,
    }
    run_id = run_id or f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    folder = run_dir(run_id, runs_dir)
    path = folder / DB_NAME
    if db is None and path.exists():
        raise StoreError(f"run {run_id} already exists at {path}: --resume {run_id}")
    check_new_run_folder(folder, run_id)
    made_folder = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot make the run folder {folder}: {exc.strerror}") from None
    try:
        store = open_store(path if db is None else db, durable=True)
        try:
            created = datetime.now(UTC)
            write_run_marker(folder, run_id, store.name, created)
            run_id = store.create_run(
                scenario=sc.name, seed=seed, config=config, run_id=run_id, created_utc=created
            )
        except BaseException:
            store.close()
            raise
    except BaseException:
        forget_new_run_folder(folder, made_folder=made_folder)
        raise
    return MissionRun(store, run_id, folder, config, prepared=prepared)


def resume_mission(
    run: str, *, db: str | None = None, runs_dir: Path = DEFAULT_RUNS_DIR
) -> MissionRun:
    """Reopen a run to continue it from its last committed sol (takes its writer lease).

    A complete run is returned as it is (``status == "complete"``, no lease taken);
    a failed one is refused with its reason.
    """
    if db is None:
        path = run_db_path(run, runs_dir)
        if not path.exists():
            raise StoreError(f"--resume {run}: no run database at {path}")
        store = open_store(path, create=False)
    else:
        store = open_store(db, create=False, durable=True)
    try:
        row = store.run(run)
        folder = run_dir(row.id, runs_dir)
        check_run_marker(folder, row.id, row.created_utc)
        if row.status == "failed":
            reasons = [e.payload for e in store.events(row.id) if e.name == RUN_FAILED]
            why = reasons[-1].get("reason") if reasons and reasons[-1] else None
            raise StoreError(
                f"run {row.id} failed ({why or 'no reason recorded'}) and cannot be resumed: "
                "start a new run"
            )
        if row.status != "complete":
            row = store.claim(row.id)
            if not (folder / RUN_MARKER).exists():
                write_run_marker(folder, row.id, store.name, row.created_utc)
    except BaseException:
        store.close()
        raise
    return MissionRun(store, row.id, folder, dict(row.config), status=row.status)


class MissionRunner:
    """Flies the sols of one run; build with `start_mission` or `resume_mission`."""

    def __init__(self, run: MissionRun, *, cache_dir: Path | None = None):
        self.run = run
        cfg = run.config
        prepared = run.prepared or prepare_mission(
            cfg["scenario_source"], seed=int(cfg["terrain_seed"]), last_sol=cfg["last_sol"]
        )
        if prepared.fingerprint != cfg["data_sha256"]:
            raise StoreError(
                f"run {run.run_id}: the scenario {cfg['scenario_source']} or the model data "
                "changed since the run started; resume it with the same files, or start a new run"
            )
        self.scenario = prepared.scenario
        self.models = prepared.models
        self.seed = int(cfg["seed"])
        self.edl_system = prepared.edl_system
        region = self.edl_system.terrain
        assert isinstance(region, LandingRegion)  # prepare_mission checked it
        self.region = region
        self.terrain = MultiResolutionTerrain(FineTerrain(region, cache_dir=cache_dir))
        self.grid = traversability(region, self.models.mobility)
        self.cache = SampleCache(self.models.caching)
        self.state: MissionState | None = None
        self.clock: MissionClock | None = None
        mode = str(cfg.get("imaging", "off"))
        self.imaging_mode: ImagingMode = check_imaging_mode(mode)
        #: The imager, made once the clock is known (None with ``--imaging off``).
        self.imager: SolImager | None = None
        #: The flown landing while sol 0 is flown (its imagery is made then).
        self._landed: EdlResult | None = None
        #: The last traverse points committed (for the rover's heading).
        self._tail: list[tuple[float, float]] = []
        #: The run's one weather source, made once the landing is known (`_weather`).
        self.weather: Weather | None = None
        self._moxie_operator: MoxieOperator | None = None
        self._instruments: SolInstruments | None = None
        self._data_return: DataReturn | None = None

    # ---------------------------------------------------------------- the loop

    def fly(self, progress: Progress | None = None) -> MissionState:
        """Fly every sol not yet committed, then write the report; returns the final state."""
        store, run_id = self.run.store, self.run.run_id
        try:
            last = store.last_committed_sol(run_id)
            if last is None:
                try:
                    self._fly_landing(progress)
                except LandingFailedError as exc:
                    self._fail(str(exc))
                    raise
                last = 0
            else:
                self._restore()
                remove_uncommitted(self.run.folder, last)
            for sol in range(last + 1, self.scenario.last_sol + 1):
                self._fly_sol(sol, progress)
            self.write_report()
        except BaseException:
            # The failed sol was rolled back; let a --resume take the run at once.
            with contextlib.suppress(StoreError):
                store.release(run_id)
            raise
        store.finish_run(run_id)
        assert self.state is not None
        return self.state

    def _fail(self, reason: str) -> None:
        """End the run as ``failed``, with its reason as a ``run_failed`` event."""
        store, run_id = self.run.store, self.run.run_id
        with store.transaction(run_id) as w:
            w.add_events([{"name": RUN_FAILED, "payload": {"reason": reason}}])
        store.finish_run(run_id, status="failed")

    def write_report(self) -> Path:
        """Write (or rewrite) the run's ``report.html`` and record it once as a product."""
        store, run_id = self.run.store, self.run.run_id
        path = write_mission_report(store, run_id, self.run.folder, terrain=self.region)
        if not store.products(run_id, kind="report"):
            with store.transaction(run_id) as w:
                w.add_product(kind="report", path=path.name, bytes=path.stat().st_size)
        return path

    def _restore(self) -> None:
        store, run_id = self.run.store, self.run.run_id
        self.state = MissionState.from_json(store.checkpoint(run_id))
        self.cache = SampleCache.from_state(self.state.cache, self.models.caching)
        landing = self.state.landing
        self.clock = MissionClock(parse_utc(landing["utc"]), landing["longitude_deg"])
        points = [(t.east_m, t.north_m) for t in store.traverse(run_id)]
        self._tail = points[-_TAIL_POINTS:]

    def _weather(self) -> Weather:
        """The weather at the landing site, seeded by the run's seed (made once)."""
        if self.weather is None:
            assert self.state is not None and self.clock is not None
            land = self.state.landing
            self.weather = Weather(
                self.seed,
                latitude_deg=float(land["latitude_deg"]),
                longitude_east_deg=float(land["longitude_deg"]),
                landing_utc=self.clock.landing_utc,
            )
        return self.weather

    def _moxie(self) -> MoxieOperator:
        """The MOXIE operator (only asked for when the scenario flies a campaign)."""
        if self._moxie_operator is None:
            assert self.models.moxie is not None and self.clock is not None
            self._moxie_operator = MoxieOperator(
                self.models.moxie, self._weather(), self.clock, self.run.folder
            )
        return self._moxie_operator

    def data_return(self) -> DataReturn:
        """The run's passes and onboard store (made once the landing is known)."""
        if self._data_return is None:
            assert self.state is not None and self.clock is not None
            land = self.state.landing
            site = Site(float(land["latitude_deg"]), float(land["longitude_deg"]),
                        jezero().elevation_m)  # fmt: skip
            self._data_return = DataReturn(
                self.clock, self.scenario.last_sol, self.models.telecom, site, self.run.folder,
                onboard=self.state.onboard,
            )  # fmt: skip
        return self._data_return

    def instruments(self) -> SolInstruments:
        """The run's instrument product makers (made once the landing is known)."""
        if self._instruments is None:
            assert self.clock is not None
            self._instruments = SolInstruments(
                self._weather(),
                self.clock,
                self.run.folder,
                seed=self.seed,
                recordings=self.scenario.acoustics,
            )
        return self._instruments

    def _make_imager(self) -> SolImager | None:
        """The imager of the run (once the clock is known), or None when imaging is off."""
        if self.imaging_mode == "off" or self.clock is None:
            return None
        if self.imager is None:
            self.imager = SolImager(
                self.scenario.imaging,
                self.region,
                load_site(self.scenario.edl.site),
                self.clock,
                self.run.folder,
                seed=self.seed,
                mode=self.imaging_mode,
                weather=self._weather(),
            )
        return self.imager

    def _images(
        self, sol: int, rec: SolRecord, events: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
        """The sol's image product rows (files written) and the traverse tail after it."""
        assert self.state is not None
        points = self._tail + [(float(p["east_m"]), float(p["north_m"])) for p in rec.traverse]
        imager = self._make_imager()
        if imager is None:
            return [], points[-_TAIL_POINTS:]
        state = self.state
        rover = rover_pose(self.region, state.east_m, state.north_m, heading_of(points))
        rows = imager.shoot(sol, rover, SolEvents.of(rec.drive_m, events))
        if sol == 0 and self._landed is not None:
            rows += imager.landing(self._landed)
        return rows, points[-_TAIL_POINTS:]

    # ----------------------------------------------------------------- sol 0

    def _fly_landing(self, progress: Progress | None) -> None:
        """Sol 0: entry, descent and landing, then the first activities after touchdown."""
        result = fly_edl(self.scenario.edl.vehicle, system=self.edl_system)
        if result.status is not Status.LANDED:
            raise LandingFailedError(
                f"the landing failed: {result.failure_message()}; run {self.run.run_id} "
                "is marked failed"
            )
        touchdown = result.touchdown()
        assert touchdown is not None
        east = float(result.flight.touchdown["east_m"][result.run])
        north = float(result.flight.touchdown["north_m"][result.run])
        self.clock = MissionClock(parse_utc(touchdown["utc"]), touchdown["longitude_deg"])
        power = self.models.power
        self.state = MissionState(
            sol=0,
            battery_j=LANDING_STATE_OF_CHARGE * power.capacity_j,
            east_m=east,
            north_m=north,
            landing=touchdown | {"east_m": east, "north_m": north},
        )
        edl_dir = self.run.folder / "edl"
        with staged_directory(edl_dir) as out:
            written = write_flight(result, out)
        events = [dict(e) for e in result.events()]
        events.append({"name": "landing", "payload": self.state.landing})
        events.append(self.instruments().microphones.edl_event())
        edl_files = [
            {
                "kind": "edl_plot" if p.suffix == ".png" else "edl_" + p.stem,
                "sol": 0,
                "path": f"edl/{p.name}",
                "bytes": (edl_dir / p.name).stat().st_size,
            }
            for p in written
        ]
        link = self.data_return()
        confirmed, live = touchdown_confirmed(
            self.clock.landing_utc, link.site, link.light, edl_files
        )
        events.append(confirmed)
        self._landed = result
        try:
            self._fly_sol(0, progress, edl_events=events, products=edl_files, downlinks=live)
        finally:
            self._landed = None  # its telemetry is not needed after sol 0

    # ---------------------------------------------------------------- one sol

    def _rolled_back(self, sol: int) -> bool:
        """Whether ``sol`` is known not to be committed (False when the store cannot say:
        its files are then left for the next resume, which removes uncommitted sols')."""
        try:
            committed = self.run.store.last_committed_sol(self.run.run_id)
        except Exception:
            return False
        return committed is None or committed < sol

    def _fly_sol(
        self,
        sol: int,
        progress: Progress | None,
        *,
        edl_events: list[dict[str, Any]] | None = None,
        products: list[dict[str, Any]] | None = None,
        downlinks: list[dict[str, Any]] | None = None,
    ) -> None:
        state, clock, models = self.state, self.clock, self.models
        assert state is not None and clock is not None
        utc_start = clock.sol_start_utc(sol)
        earliest_s = clock.landing_lmst_s if sol == 0 else 0.0
        discard_sol(self.run.folder, sol)  # a sol flown again starts with no files
        self.terrain.set_focus(*state.position)
        link = self.data_return()
        passes = link.passes_on(sol)
        requests, held = sol_requests(
            sol, models, state, relay_bits=link.store.used_bits + TYPICAL_SOL_DATA_BITS,
            free_bits=link.free_bits, passes=passes, earth_window_h=link.earth_window_h(sol),
        )  # fmt: skip
        slots = plan_sol(requests, models.power, state.battery_j, utc_start, earliest_s=earliest_s)
        rec = SolRecord()
        ops = SurfaceOps(models, self.terrain, self.grid, self.seed, self._traverse_so_far())
        flown = np.zeros(len(passes), dtype=bool)
        dte: list[tuple[float, float]] = []
        activity_data: list[Item] = []
        ordered = sorted(slots, key=lambda s: (s.start_s is None, s.start_s or 0.0))
        for index, slot in enumerate(ordered):
            if not slot.planned:
                rec.skipped(slot)
                self._carry_over(slot, state)
                continue
            detail = slot.request.detail
            bits_before = rec.data_bits
            try:
                match detail:
                    case Drive():
                        ops.drive_to(sol, slot, detail, rec, state)
                    case ScriptedDrive():
                        ops.scripted_drive(sol, slot, detail, rec, state)
                    case Sample() | RetrySample():
                        ops.sample(sol, slot, detail, rec, state, self.cache)
                    case DepotDrop():
                        ops.depot_drop(sol, slot, detail, rec, state, self.cache)
                    case PlainRun():
                        ops.plain(slot, detail, rec, state)
                        if detail.relay_pass is not None:
                            flown[detail.relay_pass] = True
                        if slot.request.kind == "dte_xband" and slot.start_s is not None:
                            dte.append((slot.start_s, slot.request.duration_s))
                    case MoxieRun():
                        rec.moxie_run(self._moxie().fly(sol, slot, detail))
                    case _:
                        assert_never(detail)
            except ScenarioError as exc:  # no path, no tube left, no depot site: go on
                rec.failed(sol, slot, str(exc))
            assert slot.start_s is not None
            made = link.activity_item(sol, index, slot.request.kind, rec.data_bits - bits_before,
                                      slot.start_s + slot.request.duration_s)  # fmt: skip
            activity_data += [made] if made is not None else []
        for r in held:  # a sampling held for room is tried again, like one without time
            rec.skipped(Slot(r, None, SlotOutcome.SKIPPED_DATA))
            self._carry_over(Slot(r, None, SlotOutcome.SKIPPED_DATA), state)
        budget = simulate_sol(models.power, state.battery_j, rec.power_activities, utc_start)
        state.battery_j = budget.end_charge_j
        state.sol = sol
        state.cache = self.cache.state()
        phase = self.scenario.phase_at(sol)
        events = list(edl_events or [])
        if self.scenario.phase_range(phase.name)[0] == sol:
            events.append(
                {
                    "name": "phase_start",
                    "sol": sol,
                    "payload": {"phase": phase.name, "title": phase.title},
                }
            )
        events += rec.events
        try:
            science = self.instruments().sol(sol, rec)
            images, tail = self._images(sol, rec, events)
            made_today = [*rec.products, *(products or []), *science.products, *images]
            events += label_products(
                self.run.folder, self.run.run_id, made_today, lambda r: link.acquired_utc(r, sol)
            )
            sent_live = {str(d["item"]) for d in downlinks or []}
            events += link.queue(sol, made_today, activity_data, sent=sent_live)
            sent, returned = link.downlink(sol, passes.select(flown), dte)
            state.onboard = link.store.to_json()
            self._commit(
                sol, phase.name, utc_start, budget, rec, returned, events,
                made_today, science.weather, [*(downlinks or []), *sent],
            )  # fmt: skip
        except BaseException:
            if self._rolled_back(sol):
                discard_sol(
                    self.run.folder, sol
                )  # the sol rolled back (or was interrupted): its files too
            raise
        self._tail = tail
        if progress is not None:
            sealed = sum(1 for t in self.cache.tubes if t.has_sample)
            progress(
                sol,
                self.scenario.last_sol,
                state,
                SolSummary(
                    sol=sol,
                    last_sol=self.scenario.last_sol,
                    phase=phase.name,
                    drive_m=rec.drive_m,
                    samples_sealed=sealed,
                    battery_soc=state.battery_j / models.power.capacity_j,
                    skipped=sum(1 for s in slots if not s.planned),
                ),
            )

    def _commit(
        self,
        sol: int,
        phase: str,
        utc_start: datetime,
        budget: Any,
        rec: SolRecord,
        returned: float,
        events: list[dict[str, Any]],
        products: list[dict[str, Any]],
        weather: dict[str, Any] | None,
        downlinks: list[dict[str, Any]],
    ) -> None:
        """Write the sol, its rows (``products`` besides the activities') and the
        checkpoint in one transaction."""
        state = self.state
        assert state is not None
        with self.run.store.sol_transaction(self.run.run_id, sol) as w:
            w.add_sol(
                phase=phase,
                utc_start=utc_start,
                lmst_start="00:00:00",
                energy_used_j=budget.used_j,
                drive_m=rec.drive_m,
                odometry_m=rec.odometry_m,
                data_bits=int(returned),
            )
            if sol == 0:
                for t in self.cache.tubes:
                    w.set_tube(tube_label(t.id), kind=t.kind, state=t.state.name.lower())
            w.add_activities(rec.activities)
            w.add_events(events)
            w.add_traverse(rec.traverse)
            w.set_power(
                charge_min_j=budget.min_charge_j,
                charge_max_j=budget.max_charge_j,
                charge_end_j=budget.end_charge_j,
                generated_j=budget.generated_j,
                used_j=budget.used_j,
            )
            for tube_id, fields in rec.tubes.items():
                w.set_tube(tube_id, **fields)
            for row in rec.samples:
                w.add_sample(**row)
            for row in rec.custody:
                w.add_custody(**row)
            for row in rec.moxie_runs:
                w.add_moxie_run(**row)
            for row in products:
                w.add_product(**row)
            w.add_downlinks(downlinks)
            if weather is not None:
                w.add_weather_sol(**weather)
            w.set_checkpoint(state.to_json())

    def _carry_over(self, slot: Slot[RequestDetail], state: MissionState) -> None:
        """A sampling operation that found no time or energy is tried again next sol
        (a scripted failure is not: it belongs to its sol)."""
        detail = slot.request.detail
        if isinstance(detail, Sample) and detail.planned.activity.failure is None:
            p = detail.planned
            a = p.activity
            state.done[p.where] = state.done.get(p.where, 0) + 1
            state.retries.append(Retry(a.name, a.kind, a.rock, a.depot, 0))

    def _traverse_so_far(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole traverse committed so far (for the depot's wheel-path check)."""
        state = self.state
        if state is None or state.depot is not None or not self._depot_today(state.sol + 1):
            return np.empty(0), np.empty(0)
        rows = self.run.store.traverse(self.run.run_id)
        return np.array([r.east_m for r in rows]), np.array([r.north_m for r in rows])

    def _depot_today(self, sol: int) -> bool:
        return any(p.activity.kind == "depot" for p in self.scenario.activities_on(sol))
