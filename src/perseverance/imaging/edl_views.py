"""What the EDL cameras saw, as kinematics: when each records, and where the hardware is.

From one flown trajectory (its telemetry and events, `DescentTrack`) this module gives

- the recordings (`recordings`): for each EDL camera the span it records and its rate.
  The PUCs (backshell, up-look) from `PUC_LEAD_S` before parachute deploy through the
  inflation to `PUC_AFTER_DEPLOY_S` after it ("started recording just before chute
  deploy", docs/reference/instruments.md §7b); the RDC and LCAM (rover belly, down-look)
  from heat-shield separation (§7b), the LCAM until backshell separation (the Lander
  Vision System works on the parachute), the RDC to touchdown; the DDC (descent stage,
  down-look) and the RUC (rover deck, up-look) during the sky crane, the RUC through the
  flyaway to `RUC_AFTER_FLYAWAY_S` after it (§7b). Recording rates are UNCONFIRMED (§7b):
  the catalogue's (E) figures (30 Hz, LCAM 1 Hz) are used;
- the edit of the descent video (`default_segments`, `video_frames`): the cameras in
  sequence, each segment of the flight played at a stated speed-up at the video's frame
  rate (the published video ran at 30 fps, §7b); a camera recording slower than the video
  shows each of its frames until the next (LCAM);
- the hardware at any instant (`hardware_state`): the backshell and the parachute (its
  vent, axis and inflation), the heat shield (attached, then falling on its own drag),
  the descent stage, the rover (stowed, then lowered on its bridles) and the engines'
  dust plume, as poses in the site's ENU frame;
- the time of the sky-crane photo (`sky_crane_photo_time`): the rover `SKY_CRANE_PHOTO_M`
  above the ground (the "iconic" DDC frame).

Frames. The site's ENU frame has its origin at the landing site (the landing region's
map centre, ``site.landing_site``): east and north are the gnomonic offsets of
`mars.frames.LocalFrame` (the frame the EDL flies in and the terrain map uses); up is
the height above the areoid less the drop of Mars' curve, (e^2 + n^2) / 2R, as the
renderer's curved `HeightField` places the ground, so a vehicle's height above the
rendered ground is its telemetry altitude.

Attitudes. The trajectory is 3-DOF: there is no attitude. Through entry and on the
parachute the stack's axis (body +z, toward the backshell's apex and the parachute) is
taken against the planet-relative velocity (the relative wind without winds), its
heading that of the horizontal velocity; after backshell separation the descent stage
and the rover are level, at the heading they had at separation. The parachute's axis is
the stack's. Left out: the oscillation under the canopy, the divert's tilt, the
descent stage's pitch-over at flyaway (it flies the vehicle's elevation straight).

Sources: docs/reference/edl.md (bridle 7.6 m, sky crane from 20 m at 0.75 m/s, heat
shield 20 s after deploy, 21.5 m parachute), docs/reference/instruments.md §7; the rest
is marked (E).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.imaging import hardware
from perseverance.imaging.cameras import CameraCatalogue, load_cameras
from perseverance.imaging.mounts import VehiclePose
from perseverance.mars.constants import R_MARS
from perseverance.mars.frames import LocalFrame, position_from_spherical

if TYPE_CHECKING:
    from perseverance.edl.results import EdlResult

__all__ = [
    "EDL_CAMERAS",
    "SKY_CRANE_PHOTO_M",
    "DescentTrack",
    "DustPlume",
    "HardwareState",
    "ParachuteState",
    "Recording",
    "Segment",
    "VideoFrame",
    "default_segments",
    "hardware_state",
    "recordings",
    "sky_crane_photo_time",
    "video_frames",
]

Array = NDArray[np.float64]

#: The EDL cameras of the catalogue, in the order they start recording.
EDL_CAMERAS = ("puc_a", "puc_b", "puc_c", "rdc", "lcam", "ddc", "ruc")
#: Which vehicle carries each EDL camera (the catalogue's mounts say the same).
CAMERA_VEHICLE = {
    "puc_a": "backshell",
    "puc_b": "backshell",
    "puc_c": "backshell",
    "rdc": "rover",
    "lcam": "rover",
    "ddc": "descent_stage",
    "ruc": "rover",
}

#: PUCs start this long before parachute deploy [s] (E: "just before", §7b).
PUC_LEAD_S = 1.0
#: ... and record this long after it [s] (E: through the inflation and the first swings).
PUC_AFTER_DEPLOY_S = 10.0
#: The RUC records this long after flyaway [s] (E: the descent stage climbing away).
RUC_AFTER_FLYAWAY_S = 6.0
#: The DDC records this long after touchdown [s] (E: the rover set down, the bridles cut).
DDC_AFTER_TOUCHDOWN_S = 1.0
#: Recording rates when no catalogue is given [Hz] (E: UNCONFIRMED, §7b; catalogue's figures).
DEFAULT_RATE_HZ = {"lcam": 1.0}
DEFAULT_CAMERA_RATE_HZ = 30.0

#: The sky-crane photo: the rover this high above the ground [m] ("≈ 2 m", issue 10).
SKY_CRANE_PHOTO_M = 2.0

#: Defaults when the vehicle is not known (the m2020 vehicle file's figures):
#: bridle length [m] (C: 7.6 m, 25 ft, docs/reference/edl.md), time to pay it out [s]
#: (E), parachute inflation [s] (E), heat shield mass [kg] (E), flyaway elevation [deg]
#: (E) and burn [s] (E).
BRIDLE_LENGTH_M = 7.6
BRIDLE_DEPLOY_S = 5.0
INFLATION_S = 1.2
HEATSHIELD_KG = 385.0
FLYAWAY_ELEVATION_DEG = 45.0
FLYAWAY_BURN_S = 4.0
#: Flyaway thrust acceleration [m/s^2] when the flyaway event gives none (E: 1.28 g,
#: the nominal m2020 run's).
FLYAWAY_ACCEL_MPS2 = 12.5

#: The stack along its axis, from the descent stage's lowest point (the bridle's top,
#: the telemetry's reference point) [m] (E): the stowed rover's ground point (its
#: wheels' bottom) this far below (about the rover's height, 2.2 m); the aeroshell's
#: joint (the backshell's rim, the heat shield's top) this far below.
ROVER_STOWED_BELOW_M = 2.2
AEROSHELL_JOINT_BELOW_M = 2.5
#: The parachute's vent trails the backshell's apex by this much when the lines are
#: stretched [m] (E: riser plus suspension lines ~ 2 nominal diameters of 21.5 m).
PARACHUTE_TRAIL_M = 43.0
#: Fraction of the inflation time by which the mortar-fired pack reaches line stretch (E).
LINE_STRETCH_FRACTION = 0.3
#: Height of the backshell's apex above its rim [m] (E: the MSL-heritage backshell).
BACKSHELL_HEIGHT_M = 2.4
#: Aerodynamics of the falling heat shield (E): drag coefficient on its 4.5 m diameter
#: (A/B: docs/reference/edl.md), and the push of the separation springs [m/s].
HEATSHIELD_CD = 1.2
HEATSHIELD_DIAMETER_M = 4.5
HEATSHIELD_PUSH_MPS = 1.5
#: The engines raise dust below this height of the descent stage [m] (E: the sky crane's
#: 20 m, docs/reference/edl.md); the plume grows to this radius [m] and height [m] and
#: optical depth (E), and settles this long after the engines leave [s] (E).
DUST_ONSET_M = 20.0
DUST_MAX_RADIUS_M = 15.0
DUST_MIN_RADIUS_M = 2.0
DUST_MAX_HEIGHT_M = 4.0
DUST_MAX_OPTICAL_DEPTH = 0.8
DUST_SETTLE_S = 6.0
#: Exponential atmosphere used when the telemetry has no dynamic pressure (E: surface
#: density [kg/m^3] and scale height [m] near Jezero's floor).
SURFACE_DENSITY_KG_M3 = 0.017
DENSITY_SCALE_HEIGHT_M = 11_000.0
#: Surface gravity [m/s^2] for the short ballistic arcs here (GM / R^2).
G_SURFACE = 3.71

#: Event names read from the run.
EVENTS = (
    "parachute_deploy",
    "heatshield_separation",
    "lvs_solution",
    "backshell_separation",
    "powered_descent_start",
    "skycrane_start",
    "touchdown",
    "flyaway",
)


# ---------------------------------------------------------------------------- track
@dataclass(frozen=True)
class DescentTrack:
    """One flown trajectory in the site's ENU frame, and the vehicle figures it needs.

    ``t_s`` (n,) [s from entry]; ``position_enu`` (n, 3) [m] of the telemetry's point
    (the descent stage's lowest point); ``velocity_enu`` (n, 3) [m/s]; ``altitude_m`` (n,)
    above the ground below; ``events`` the times [s] of the events that happened.
    """

    t_s: Array
    position_enu: Array
    velocity_enu: Array
    altitude_m: Array
    events: dict[str, float]
    epoch_utc: datetime | None = None
    touchdown_enu: Array | None = None
    bridle_length_m: float = BRIDLE_LENGTH_M
    bridle_deploy_s: float = BRIDLE_DEPLOY_S
    inflation_s: float = INFLATION_S
    heatshield_kg: float = HEATSHIELD_KG
    flyaway_accel_mps2: float = FLYAWAY_ACCEL_MPS2
    flyaway_elevation_rad: float = math.radians(FLYAWAY_ELEVATION_DEG)
    flyaway_burn_s: float = FLYAWAY_BURN_S
    density_kg_m3: Array | None = None
    """Air density along the track (n,) [kg/m^3], from the dynamic pressure, if known."""
    site_latitude_deg: float = math.nan
    site_longitude_deg: float = math.nan
    """The frame's origin (the landing site), planetocentric [deg]."""
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        n = self.t_s.size
        if n < 2 or np.any(np.diff(self.t_s) <= 0):
            raise ValueError("a descent track needs at least 2 rows of increasing t_s")
        for name in ("position_enu", "velocity_enu"):
            if getattr(self, name).shape != (n, 3):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}; expected ({n}, 3)")
        for name in ("parachute_deploy", "touchdown"):
            if not math.isfinite(self.events.get(name, math.nan)):
                raise ValueError(f"the run has no {name} event: no EDL imagery to make")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_result(cls, result: EdlResult) -> DescentTrack:
        """The track of a flown `EdlResult` (with telemetry, as `fly_edl` records it)."""
        tel = result.flight.telemetry
        if tel is None:
            raise ValueError("the run has no telemetry (fly it with fly_edl)")
        k = result.run
        system, vehicle = result.system, result.system.vehicle
        ds = vehicle.descent_stage
        fly = result.flight.events["flyaway"]["g_load"][k]
        g0 = 9.80665
        touch = result.flight.touchdown
        columns = {name: np.asarray(v[:, k], dtype=float) for name, v in tel.items()}
        return cls.from_telemetry(
            columns,
            result.events(),
            frame=system.frame,
            epoch_utc=vehicle.entry.epoch_utc,
            touchdown_east_north_m=(float(touch["east_m"][k]), float(touch["north_m"][k])),
            bridle_length_m=ds.bridle_length_m,
            bridle_deploy_s=ds.bridle_deploy_s,
            inflation_s=vehicle.parachute.inflation_time_s,
            heatshield_kg=vehicle.masses.heatshield_kg,
            flyaway_accel_mps2=float(fly) * g0 if math.isfinite(fly) else FLYAWAY_ACCEL_MPS2,
            flyaway_elevation_deg=ds.flyaway_elevation_deg,
            flyaway_burn_s=ds.flyaway_burn_s,
        )

    @classmethod
    def from_telemetry(
        cls,
        telemetry: Mapping[str, ArrayLike],
        events: Iterable[Mapping[str, Any]] | Mapping[str, float],
        *,
        frame: LocalFrame | None = None,
        site_latitude_deg: float | None = None,
        site_longitude_deg: float | None = None,
        epoch_utc: datetime | None = None,
        touchdown_east_north_m: tuple[float, float] | None = None,
        ground_elevation: Any = None,
        bridle_length_m: float = BRIDLE_LENGTH_M,
        bridle_deploy_s: float = BRIDLE_DEPLOY_S,
        inflation_s: float = INFLATION_S,
        heatshield_kg: float = HEATSHIELD_KG,
        flyaway_accel_mps2: float = FLYAWAY_ACCEL_MPS2,
        flyaway_elevation_deg: float = FLYAWAY_ELEVATION_DEG,
        flyaway_burn_s: float = FLYAWAY_BURN_S,
    ) -> DescentTrack:
        """A track from one run's telemetry columns (``t_s``, ``latitude_deg``,
        ``longitude_deg``, ``altitude_m`` and ``height_above_areoid_m``; rows with NaN
        dropped) and its events (rows with ``name`` and ``t_s``, or name -> t_s).

        The site frame is ``frame`` or the one at ``site_latitude_deg``,
        ``site_longitude_deg`` (the landing site). Without ``height_above_areoid_m``,
        ``ground_elevation(east_m, north_m)`` [m above the areoid] must be given.
        """
        if frame is None:
            if site_latitude_deg is None or site_longitude_deg is None:
                raise ValueError("give the site frame or the site's latitude and longitude")
            frame = LocalFrame(math.radians(site_latitude_deg), math.radians(site_longitude_deg))
        cols = {k: np.asarray(telemetry[k], dtype=float) for k in telemetry if k != "phase"}
        for name in ("t_s", "latitude_deg", "longitude_deg", "altitude_m"):
            if name not in cols:
                raise ValueError(f"telemetry has no {name} column")
        keep = np.isfinite(cols["t_s"]) & np.isfinite(cols["latitude_deg"])
        keep &= np.isfinite(cols["longitude_deg"]) & np.isfinite(cols["altitude_m"])
        t = cols["t_s"][keep]
        lat, lon = np.radians(cols["latitude_deg"][keep]), np.radians(cols["longitude_deg"][keep])
        east, north = frame.east_north(*position_from_spherical(lat, lon, 1.0))
        agl = cols["altitude_m"][keep]
        if "height_above_areoid_m" in cols:
            height = cols["height_above_areoid_m"][keep]
        elif ground_elevation is not None:
            height = np.asarray(ground_elevation(east, north), dtype=float) + agl
        else:
            raise ValueError("telemetry has no height_above_areoid_m: give ground_elevation")
        up = height - (east**2 + north**2) / (2.0 * R_MARS)
        position = np.column_stack([east, north, up])
        velocity = np.gradient(position, t, axis=0)
        density = None
        if "dynamic_pressure_pa" in cols and "velocity_mps" in cols:
            speed = np.maximum(cols["velocity_mps"][keep], 1.0)
            density = 2.0 * cols["dynamic_pressure_pa"][keep] / speed**2
        touchdown = None
        if touchdown_east_north_m is not None and all(
            math.isfinite(v) for v in touchdown_east_north_m
        ):
            touchdown = np.array([*touchdown_east_north_m, math.nan])
        return cls(
            t_s=t,
            position_enu=position,
            velocity_enu=velocity,
            altitude_m=agl,
            events=_event_times(events),
            epoch_utc=epoch_utc,
            touchdown_enu=touchdown,
            bridle_length_m=bridle_length_m,
            bridle_deploy_s=bridle_deploy_s,
            inflation_s=inflation_s,
            heatshield_kg=heatshield_kg,
            flyaway_accel_mps2=flyaway_accel_mps2,
            flyaway_elevation_rad=math.radians(flyaway_elevation_deg),
            flyaway_burn_s=flyaway_burn_s,
            density_kg_m3=density,
            site_latitude_deg=math.degrees(frame.latitude_rad),
            site_longitude_deg=math.degrees(frame.longitude_rad),
        )

    # ----------------------------------------------------------------- queries
    def event(self, name: str) -> float:
        """The time [s] of event ``name`` (NaN when it did not happen)."""
        return self.events.get(name, math.nan)

    @property
    def touchdown_s(self) -> float:
        return self.events["touchdown"]

    def state(self, t_s: float) -> tuple[Array, Array, float]:
        """Position (3,), velocity (3,) [ENU] and altitude [m] of the telemetry's point at
        ``t_s`` (linear between rows; held at the ends; after touchdown, on the ground)."""
        t = min(max(t_s, float(self.t_s[0])), self.touchdown_s)
        pos = np.array([np.interp(t, self.t_s, self.position_enu[:, i]) for i in range(3)])
        vel = np.array([np.interp(t, self.t_s, self.velocity_enu[:, i]) for i in range(3)])
        alt = float(np.interp(t, self.t_s, self.altitude_m))
        if t >= self.t_s[-1]:  # the last row is before touchdown: move on to it
            dt = t - float(self.t_s[-1])
            pos = self.position_enu[-1] + dt * self.velocity_enu[-1]
            alt = float(self.altitude_m[-1] + dt * self.velocity_enu[-1, 2])
        return pos, vel, alt

    def ground_up_m(self, t_s: float) -> float:
        """Height of the ground [m, renderer's up] below the telemetry's point at ``t_s``."""
        pos, _, alt = self.state(t_s)
        return float(pos[2] - alt)

    def bridle_out_m(self, t_s: float) -> float:
        """How far below the descent stage the rover's ground point hangs at ``t_s`` [m]:
        stowed until the sky crane starts, paid out to the full bridle over its time."""
        start = self.event("skycrane_start")
        if not math.isfinite(start):
            return ROVER_STOWED_BELOW_M
        frac = min(max((t_s - start) / self.bridle_deploy_s, 0.0), 1.0)
        full = max(self.bridle_length_m, ROVER_STOWED_BELOW_M)
        return ROVER_STOWED_BELOW_M + frac * (full - ROVER_STOWED_BELOW_M)

    def rover_height_m(self, t_s: float) -> float:
        """Height of the rover's wheels above the ground [m] (0 after touchdown)."""
        if t_s >= self.touchdown_s:
            return 0.0
        return max(self.state(t_s)[2] - self.bridle_out_m(t_s), 0.0)


def _event_times(events: Iterable[Mapping[str, Any]] | Mapping[str, float]) -> dict[str, float]:
    if isinstance(events, Mapping):
        pairs = [(str(k), v) for k, v in events.items()]
    else:
        pairs = [(str(row["name"]), row["t_s"]) for row in events]
    out: dict[str, float] = {}
    for name, value in pairs:
        t = math.nan if value is None else float(value)
        if math.isfinite(t):
            out[name] = t
    return out


# ------------------------------------------------------------------- recordings
@dataclass(frozen=True)
class Recording:
    """What one camera records: from ``start_s`` to ``end_s`` [s from entry] at ``rate_hz``."""

    camera: str
    start_s: float
    end_s: float
    rate_hz: float

    def times(self) -> Array:
        """The instants of its frames [s]."""
        n = math.floor((self.end_s - self.start_s) * self.rate_hz + 1e-9) + 1
        times: Array = self.start_s + np.arange(n) / self.rate_hz
        return times

    def frame_at(self, t_s: float) -> float:
        """The instant of the frame it shows at ``t_s`` (the latest taken, within its span)."""
        k = math.floor((min(max(t_s, self.start_s), self.end_s) - self.start_s) * self.rate_hz
                       + 1e-9)  # fmt: skip
        return self.start_s + k / self.rate_hz


def recordings(
    track: DescentTrack, catalogue: CameraCatalogue | None = None
) -> dict[str, Recording]:
    """Each EDL camera's recording over ``track`` (those whose events happened)."""
    cat = catalogue if catalogue is not None else load_cameras()
    ev = track.event
    deploy, touch = ev("parachute_deploy"), track.touchdown_s
    heat, shell, crane, fly = (
        ev("heatshield_separation"),
        ev("backshell_separation"),
        ev("skycrane_start"),
        ev("flyaway"),
    )
    spans = {
        "puc_a": (deploy - PUC_LEAD_S, deploy + PUC_AFTER_DEPLOY_S),
        "puc_b": (deploy - PUC_LEAD_S, deploy + PUC_AFTER_DEPLOY_S),
        "puc_c": (deploy - PUC_LEAD_S, deploy + PUC_AFTER_DEPLOY_S),
        "rdc": (heat, touch),
        "lcam": (heat, shell),
        "ddc": (crane, touch + DDC_AFTER_TOUCHDOWN_S),
        "ruc": (crane, (fly if math.isfinite(fly) else touch) + RUC_AFTER_FLYAWAY_S),
    }
    out = {}
    for name, (start, end) in spans.items():
        if not (math.isfinite(start) and math.isfinite(end) and end > start):
            continue
        rate = _rate(cat, name)
        out[name] = Recording(name, start, end, rate)
    return out


def _rate(catalogue: CameraCatalogue, name: str) -> float:
    try:
        rate = catalogue.camera(name).frame_rate_hz
    except (KeyError, ValueError):
        rate = None
    if rate is None:
        return DEFAULT_RATE_HZ.get(name, DEFAULT_CAMERA_RATE_HZ)
    return float(rate)


# ------------------------------------------------------------------------ edit
@dataclass(frozen=True)
class Segment:
    """A stretch of the video: ``camera`` from ``start_s`` to ``end_s`` of the flight,
    played ``speed`` times faster than it happened; ``label`` names it in the caption."""

    camera: str
    start_s: float
    end_s: float
    speed: float
    label: str = ""


#: The default edit (E: an editorial choice, ~12 s at 30 fps, ~350 distinct frames):
#: (camera, the event it starts from, seconds before it, seconds after it (or the event it
#: ends at), speed-up, label).
DEFAULT_EDIT: tuple[tuple[str, str, float, float | str, float, str], ...] = (
    ("puc_a", "parachute_deploy", -0.5, 5.5, 2.0, "parachute deploy"),
    ("rdc", "heatshield_separation", 0.0, 8.0, 4.0, "heat shield separation"),
    ("lcam", "lvs_solution", -4.0, 4.0, 4.0, "map-relative fix"),
    ("rdc", "backshell_separation", 0.0, "skycrane_start", 30.0, "powered descent"),
    ("ddc", "skycrane_start", 0.0, "touchdown", 8.0, "sky crane"),
    ("ruc", "touchdown", -6.0, 5.0, 4.0, "touchdown and flyaway"),
)


def default_segments(
    track: DescentTrack, recorded: Mapping[str, Recording] | None = None
) -> list[Segment]:
    """The default edit of ``track``: the cameras in sequence (`DEFAULT_EDIT`), each
    clipped to what its camera recorded; a segment whose event did not happen is left out."""
    recs = recorded if recorded is not None else recordings(track)
    out = []
    for camera, event, before, after, speed, label in DEFAULT_EDIT:
        t0 = track.event(event)
        end = track.event(after) if isinstance(after, str) else t0 + after
        rec = recs.get(camera)
        if rec is None or not (math.isfinite(t0) and math.isfinite(end)):
            continue
        start, stop = max(t0 + before, rec.start_s), min(end, rec.end_s)
        if stop > start:
            out.append(Segment(camera, start, stop, speed, label))
    return out


@dataclass(frozen=True)
class VideoFrame:
    """Frame ``index`` of the video: ``camera``'s frame taken at ``t_s`` [s from entry],
    in segment ``segment``; ``speed`` is that segment's speed-up."""

    index: int
    camera: str
    t_s: float
    segment: int
    speed: float


def video_frames(
    segments: Sequence[Segment], recorded: Mapping[str, Recording], fps: float
) -> list[VideoFrame]:
    """The video's frames at ``fps``: each segment's flight time advanced by speed / fps a
    frame, each showing its camera's latest recorded frame."""
    if not fps > 0:
        raise ValueError(f"fps = {fps}: must be positive")
    frames: list[VideoFrame] = []
    for k, seg in enumerate(segments):
        rec = recorded[seg.camera]
        n = max(1, math.floor((seg.end_s - seg.start_s) * fps / seg.speed + 1e-9))
        for i in range(n):
            t = rec.frame_at(seg.start_s + i * seg.speed / fps)
            frames.append(VideoFrame(len(frames), seg.camera, t, k, seg.speed))
    return frames


# ----------------------------------------------------------------- hardware state
@dataclass(frozen=True)
class ParachuteState:
    """The canopy: its vent's centre (3,) [m ENU], its axis (3,) (unit, from the payload
    toward the canopy) and how far it has inflated (0 packed .. 1 full)."""

    vent_centre_enu: Array
    axis_enu: Array
    inflation: float


@dataclass(frozen=True)
class DustPlume:
    """The cloud the engines raise: centred ``centre_enu`` (3,) on the ground [m], of
    ``radius_m`` and ``height_m``, with ``optical_depth`` through its middle (E)."""

    centre_enu: Array
    radius_m: float
    height_m: float
    optical_depth: float


@dataclass(frozen=True)
class HardwareState:
    """Everything that flies at one instant, posed in the site's ENU frame.

    Poses are `VehiclePose` body frames (x forward, y left, z up): the descent stage's
    and the backshell's origin is their lowest point, the rover's the ground point under
    its centre (its wheels' bottom), the heat shield's its nose (as `imaging.hardware`).
    The sky crane's bridle length is that of the flight (`edl.sequence`): from the descent
    stage's lowest point to the rover's wheels, so that the rover touches down when the
    stage is the bridle's length up; the drawn bridles run from under the stage to the
    deck (`hardware.bridle_points`). ``None`` where a
    piece is not flying (the backshell after its separation is still given: it drifts on).
    """

    t_s: float
    time_to_touchdown_s: float
    altitude_m: float
    """Height of the telemetry's point (the descent stage) above the ground [m]."""
    rover_height_m: float
    """Height of the rover's wheels above the ground [m]."""
    ground_up_m: float
    axis_enu: Array
    """The stack's axis (3,) (body +z, toward the parachute) while on the parachute."""
    descent_stage: VehiclePose
    rover: VehiclePose
    backshell: VehiclePose | None
    heat_shield: VehiclePose | None
    heat_shield_attached: bool
    parachute: ParachuteState | None
    bridles: tuple[Array, Array] | None
    """Top (3, 3) and bottom (3, 3) attachment points [m ENU] once the sky crane starts."""
    dust: DustPlume | None

    def vehicle(self, name: str) -> VehiclePose:
        """The pose of vehicle ``name`` (``rover``, ``backshell``, ``descent_stage``)."""
        pose = {"rover": self.rover, "backshell": self.backshell,
                "descent_stage": self.descent_stage}.get(name)  # fmt: skip
        if pose is None:
            raise ValueError(f"no {name} flying at T+{self.t_s:.1f} s")
        return pose

    def height_of(self, name: str) -> float:
        """Height above the ground [m] of vehicle ``name``'s origin."""
        return self.vehicle(name).up_m - self.ground_up_m


def _heading_pitch(axis: Array) -> tuple[float, float]:
    """Heading and pitch [rad] of a `VehiclePose` whose body +z is the unit ``axis``
    (body z = -sin(pitch) h + cos(pitch) up, h the horizontal unit along the heading)."""
    horizontal = math.hypot(axis[0], axis[1])
    heading = math.atan2(-axis[0], -axis[1]) if horizontal > 1e-9 else 0.0
    return heading, math.atan2(horizontal, axis[2])


def _pose(origin: Array, heading: float, pitch: float = 0.0) -> VehiclePose:
    return VehiclePose(float(origin[0]), float(origin[1]), float(origin[2]), heading, pitch)


def _stack_axis(track: DescentTrack, t_s: float) -> Array:
    """The stack's axis (unit, against the velocity) at ``t_s``, frozen at backshell
    separation and after."""
    shell = track.event("backshell_separation")
    t = min(t_s, shell) if math.isfinite(shell) else t_s
    _, vel, _ = track.state(t)
    speed = float(np.linalg.norm(vel))
    if speed < 1e-6:
        return np.array([0.0, 0.0, 1.0])
    axis: Array = -vel / speed
    return axis


def _level_heading(track: DescentTrack) -> float:
    """The heading [rad] the level descent stage and rover keep after backshell
    separation: that of the horizontal velocity there (north if none)."""
    if "level_heading" not in track._cache:
        shell = track.event("backshell_separation")
        heading = 0.0
        if math.isfinite(shell):
            _, vel, _ = track.state(shell)
            if math.hypot(vel[0], vel[1]) > 1e-3:
                heading = math.atan2(vel[0], vel[1])
        track._cache["level_heading"] = heading
    return float(track._cache["level_heading"])


def hardware_state(track: DescentTrack, t_s: float) -> HardwareState:
    """Where everything is at ``t_s`` [s from entry] (see `HardwareState`)."""
    ev = track.event
    shell_t, heat_t, touch_t = (
        ev("backshell_separation"),
        ev("heatshield_separation"),
        (track.touchdown_s),
    )
    pos, _, alt = track.state(t_s)
    ground = float(pos[2] - alt)
    on_chute = not (math.isfinite(shell_t) and t_s >= shell_t)
    axis = _stack_axis(track, t_s)
    up = np.array([0.0, 0.0, 1.0])
    if on_chute:
        heading, pitch = _heading_pitch(axis)
        body_z = axis
    else:
        heading, pitch, body_z = _level_heading(track), 0.0, up
    # after touchdown the stage flies away; the rover stays
    stage_origin = _flyaway_position(track, t_s) if t_s > touch_t else pos
    stage = _pose(stage_origin, heading, pitch)
    rover_origin = _rover_origin(track, t_s, pos, body_z)
    rover = _pose(rover_origin, heading, pitch)
    # the backshell: on the stack, then drifting on at its separation velocity (E)
    if on_chute:
        rim = pos - AEROSHELL_JOINT_BELOW_M * axis
        chute_axis, chute_origin = axis, rim
    else:
        p_sep, v_sep, _ = track.state(shell_t)
        rim = p_sep - AEROSHELL_JOINT_BELOW_M * _stack_axis(track, shell_t)
        rim = rim + (t_s - shell_t) * v_sep
        chute_axis, chute_origin = _stack_axis(track, shell_t), rim
    sh, sp = _heading_pitch(chute_axis)
    backshell = _pose(chute_origin, sh, sp)
    parachute = _parachute(track, t_s, chute_origin, chute_axis)
    # the heat shield: attached until its separation, then on its own
    attached = not (math.isfinite(heat_t) and t_s >= heat_t)
    # the heat shield's pose is its nose, its rim (the joint) HEAT_SHIELD_DEPTH_M above
    nose = (rim if attached else _heat_shield_position(track, t_s)) - (
        hardware.HEAT_SHIELD_DEPTH_M * chute_axis
    )
    heat = _pose(nose, sh, sp)
    bridles = _bridles(track, t_s, stage, rover)
    return HardwareState(
        t_s=t_s,
        time_to_touchdown_s=touch_t - t_s,
        altitude_m=alt if t_s <= touch_t else float(stage_origin[2] - ground),
        rover_height_m=track.rover_height_m(t_s),
        ground_up_m=ground,
        axis_enu=axis,
        descent_stage=stage,
        rover=rover,
        backshell=backshell,
        heat_shield=heat,
        heat_shield_attached=attached,
        parachute=parachute,
        bridles=bridles,
        dust=_dust(track, t_s, stage_origin, ground),
    )


def _rover_origin(track: DescentTrack, t_s: float, pos: Array, body_z: Array) -> Array:
    if t_s >= track.touchdown_s:
        # the rover stands where it touched down, on the ground below the stage
        p_td, _, alt_td = track.state(track.touchdown_s)
        return np.array([p_td[0], p_td[1], p_td[2] - alt_td])
    origin: Array = pos - track.bridle_out_m(t_s) * body_z
    return origin


def _parachute(track: DescentTrack, t_s: float, rim: Array, axis: Array) -> ParachuteState | None:
    deploy = track.event("parachute_deploy")
    if not math.isfinite(deploy) or t_s < deploy:
        return None
    inflation = min(max((t_s - deploy) / track.inflation_s, 0.0), 1.0)
    stretch = min(inflation / LINE_STRETCH_FRACTION, 1.0)
    apex = rim + BACKSHELL_HEIGHT_M * axis
    vent = apex + max(stretch, 0.05) * PARACHUTE_TRAIL_M * axis
    return ParachuteState(vent_centre_enu=vent, axis_enu=axis.copy(), inflation=inflation)


def _bridles(
    track: DescentTrack, t_s: float, stage: VehiclePose, rover: VehiclePose
) -> tuple[Array, Array] | None:
    crane = track.event("skycrane_start")
    if not math.isfinite(crane) or t_s < crane or t_s > track.touchdown_s:
        return None
    return hardware.bridle_points(stage, rover)


def _flyaway_position(track: DescentTrack, t_s: float) -> Array:
    """The descent stage after the bridles are cut: thrust at the flyaway elevation along
    its heading for the burn, then ballistic (closed form, as `edl.sequence` flies it)."""
    p0, _, _ = track.state(track.touchdown_s)
    tau = t_s - track.touchdown_s
    heading = _level_heading(track)
    el, a = track.flyaway_elevation_rad, track.flyaway_accel_mps2
    horizontal = np.array([math.sin(heading), math.cos(heading), 0.0])
    burn = min(tau, track.flyaway_burn_s)
    acc = a * math.cos(el) * horizontal + np.array([0.0, 0.0, a * math.sin(el) - G_SURFACE])
    p = p0 + 0.5 * acc * burn**2
    if tau > burn:
        v = acc * burn
        coast = tau - burn
        p = p + v * coast + np.array([0.0, 0.0, -0.5 * G_SURFACE * coast**2])
    result: Array = p
    return result


def _heat_shield_track(track: DescentTrack) -> tuple[Array, Array]:
    """Times (m,) and positions (m, 3) of the falling heat shield, integrated once (semi-
    implicit Euler at 0.05 s) with drag on its own ballistic coefficient (E) from its
    separation (pushed away along the axis by the springs) until it meets the ground."""
    if "heat_shield" in track._cache:
        cached: tuple[Array, Array] = track._cache["heat_shield"]
        return cached
    t0 = track.event("heatshield_separation")
    p, v, alt = track.state(t0)
    axis = _stack_axis(track, t0)
    p = p - AEROSHELL_JOINT_BELOW_M * axis
    v = v - HEATSHIELD_PUSH_MPS * axis
    beta = track.heatshield_kg / (HEATSHIELD_CD * math.pi * HEATSHIELD_DIAMETER_M**2 / 4)
    ground = float(p[2] + AEROSHELL_JOINT_BELOW_M * axis[2] - alt)
    height_track = track.position_enu[:, 2]
    order = np.argsort(height_track)
    dt, times, points = 0.05, [t0], [p.copy()]
    t = t0
    while p[2] > ground and t < t0 + 600.0:
        if track.density_kg_m3 is not None:
            rho = float(np.interp(p[2], height_track[order], track.density_kg_m3[order]))
        else:
            rho = SURFACE_DENSITY_KG_M3 * math.exp(-(p[2] - ground) / DENSITY_SCALE_HEIGHT_M)
        speed = float(np.linalg.norm(v))
        v = v + dt * (np.array([0.0, 0.0, -G_SURFACE]) - 0.5 * rho * speed * v / beta)
        p = p + dt * v
        t += dt
        times.append(t)
        points.append(p.copy())
    result = (np.array(times), np.array(points))
    result[1][:, 2] = np.maximum(result[1][:, 2], ground)
    track._cache["heat_shield"] = result
    return result


def _heat_shield_position(track: DescentTrack, t_s: float) -> Array:
    times, points = _heat_shield_track(track)
    return np.array([np.interp(t_s, times, points[:, i]) for i in range(3)])


def _dust(track: DescentTrack, t_s: float, stage: Array, ground: float) -> DustPlume | None:
    """The engines' dust: it rises once the descent stage is under `DUST_ONSET_M` and grows
    as it comes down to the bridle's length above the ground; settles after the flyaway."""
    touch = track.touchdown_s
    low = track.bridle_length_m
    if t_s <= touch:
        height = float(stage[2] - ground)
        decay = 1.0
    else:
        p_td, _, alt_td = track.state(touch)
        height = alt_td
        stage = p_td
        decay = max(0.0, 1.0 - (t_s - touch) / DUST_SETTLE_S)
    if height >= DUST_ONSET_M or decay <= 0.0:
        return None
    strength = min(max((DUST_ONSET_M - height) / max(DUST_ONSET_M - low, 1e-6), 0.0), 1.0)
    radius = DUST_MIN_RADIUS_M + strength * (DUST_MAX_RADIUS_M - DUST_MIN_RADIUS_M)
    return DustPlume(
        centre_enu=np.array([stage[0], stage[1], ground]),
        radius_m=radius,
        height_m=max(0.3, strength * DUST_MAX_HEIGHT_M),
        optical_depth=DUST_MAX_OPTICAL_DEPTH * strength * decay,
    )


def sky_crane_photo_time(track: DescentTrack, rover_height_m: float = SKY_CRANE_PHOTO_M) -> float:
    """When the rover hangs ``rover_height_m`` above the ground under the sky crane [s]
    (the DDC's "iconic" frame); ValueError when the run had no sky crane."""
    start, touch = track.event("skycrane_start"), track.touchdown_s
    if not math.isfinite(start):
        raise ValueError("the run had no sky crane: no sky-crane photo")
    times = np.linspace(start, touch, 2001)
    heights = np.array([track.rover_height_m(float(t)) for t in times])
    below = np.nonzero(heights <= rover_height_m)[0]
    if below.size == 0:
        return touch
    k = int(below[0])
    if k == 0:
        return start
    h0, h1 = heights[k - 1], heights[k]
    frac = (h0 - rover_height_m) / max(h0 - h1, 1e-12)
    return float(times[k - 1] + frac * (times[k] - times[k - 1]))
