"""What each mission request is for: the typed detail a `Request` carries to the surface."""

from __future__ import annotations

from dataclasses import dataclass

from perseverance.mission.scenario import PlannedActivity
from perseverance.mission.state import Retry
from perseverance.rover.moxie import CampaignRun


@dataclass(frozen=True)
class Drive:
    """A drive towards its waypoint, once on each of its sols until the rover arrives."""

    planned: PlannedActivity
    waypoint: str
    """The name of the waypoint it drives to (the activity's ``to``)."""


@dataclass(frozen=True)
class ScriptedDrive:
    """A drive of a set distance straight ahead (the first drive), or wheels only (0 m)."""

    planned: PlannedActivity


@dataclass(frozen=True)
class Sample:
    """A core, regolith or witness operation on its sol."""

    planned: PlannedActivity


@dataclass(frozen=True)
class RetrySample:
    """A sampling operation run again (after a random failure, or no room on its sol)."""

    retry: Retry


@dataclass(frozen=True)
class DepotDrop:
    """One tube dropped at the depot (with the move abreast of its site)."""

    planned: PlannedActivity


@dataclass(frozen=True)
class PlainRun:
    """An activity that only draws power and makes data (imaging, MEDA, a relay pass...);
    a relay pass says which of the sol's passes it flies (``relay_pass``, an index)."""

    planned: PlannedActivity
    relay_pass: int | None = None


@dataclass(frozen=True)
class MoxieRun:
    """A run of the MOXIE campaign on its sol (`mission.moxie_runs`)."""

    run: CampaignRun


#: The detail of a mission request: what the surface does when its slot runs.
RequestDetail = Drive | ScriptedDrive | Sample | RetrySample | DepotDrop | PlainRun | MoxieRun
