"""The tables of the mission database, as SQLAlchemy 2 declarative models.

One row per thing the mission did, in SI units with the unit in the column name
(``energy_j``, ``east_m``); times are UTC, or LMST as ``"HH:MM:SS"`` where a
column says ``lmst``; positions are metres east and north of the landing site.
Bulk arrays (telemetry, images, audio) are not stored here: they go to files in
the run folder and the ``products`` table points at them.

Every table but ``runs`` and ``schema_version`` belongs to a run and is deleted
with it. The ``id`` of ``activities``, ``events``, ``custody_events`` and
``products`` numbers a run's rows 1, 2, 3... in the order they were written: the
key is ``(run_id, id)`` and `RunWriter` assigns the id, never a database sequence,
so a run killed and resumed holds the same ids as one never interrupted.
Changing any table here means raising `SCHEMA_VERSION`: a database of another
version is refused on open rather than misread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: The version of the tables below; a database of any other version is refused.
SCHEMA_VERSION = 6

#: Column widths that data files must respect too (a scenario's names are checked against
#: them on load, so a value SQLite would keep but PostgreSQL refuses never reaches a commit).
RUN_ID_LENGTH = 64
SCENARIO_NAME_LENGTH = 128
PHASE_NAME_LENGTH = 64
ACTIVITY_NAME_LENGTH = 128
ACTIVITY_KIND_LENGTH = 32
EVENT_NAME_LENGTH = 64
PRODUCT_KIND_LENGTH = 32
PRODUCT_NAME_LENGTH = 128
PRODUCT_PATH_LENGTH = 512
CAMERA_NAME_LENGTH = 32
SAMPLE_NAME_LENGTH = 64

#: The run a row belongs to; deleting the run deletes the row.
_RUN_FK = "runs.id"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no timezone; the store takes UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


#: JSON on SQLite, JSONB on PostgreSQL; SQL NULL for None.
Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    """Base of every table; rows turn into plain dicts with `to_dict`."""

    #: Columns left out of `to_dict` (internal bookkeeping).
    _private: ClassVar[frozenset[str]] = frozenset()
    #: Whether ``id`` numbers the run's rows (assigned by the writer, see the module).
    _numbered: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        """The row's columns as a dict; datetimes as ISO 8601 strings ending in ``Z``."""
        out = {}
        for attr in inspect(type(self)).column_attrs:
            if attr.key in self._private:
                continue
            value = getattr(self, attr.key)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            out[attr.key] = value
        return out

    def __repr__(self) -> str:
        mapper = inspect(type(self))
        keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
        ident = ", ".join(f"{k}={getattr(self, k)!r}" for k in keys)
        return f"<{type(self).__name__} {ident}>"


def _run_id() -> Mapped[str]:
    return mapped_column(
        String(RUN_ID_LENGTH), ForeignKey(_RUN_FK, ondelete="CASCADE"), primary_key=True
    )


def _row_number() -> Mapped[int]:
    """The number of a row within its run (1, 2, 3...); with ``run_id``, the key."""
    return mapped_column(Integer, primary_key=True, autoincrement=False)


class SchemaVersionRow(Base):
    """The one row saying which version of these tables the database holds."""

    __tablename__ = "schema_version"
    __table_args__ = (CheckConstraint("id = 1", name="schema_version_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(Integer)


class RunRow(Base):
    """One mission run: the scenario, seed and config that made it, and how far it got.

    ``last_committed_sol`` is the last sol whose writes were committed (None before
    the first); ``checkpoint`` is the simulation state at the end of that sol, so a
    resumed run continues exactly where it stopped. The ``writer_*`` and
    ``lease_expires_utc`` columns are the single-writer guard (see `Store.claim`).
    """

    __tablename__ = "runs"
    _private = frozenset({"writer_token"})

    id: Mapped[str] = mapped_column(String(RUN_ID_LENGTH), primary_key=True)
    created_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    scenario: Mapped[str] = mapped_column(String(SCENARIO_NAME_LENGTH))
    seed: Mapped[int] = mapped_column(BigInteger)
    config: Mapped[Any] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(32), default="running")
    last_committed_sol: Mapped[int | None] = mapped_column(Integer)
    checkpoint: Mapped[Any] = mapped_column(Json, nullable=True)
    finished_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    writer_token: Mapped[str | None] = mapped_column(String(64))
    writer_pid: Mapped[int | None] = mapped_column(Integer)
    writer_host: Mapped[str | None] = mapped_column(String(255))
    lease_expires_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        last = (
            "no sol committed"
            if self.last_committed_sol is None
            else (f"last sol {self.last_committed_sol}")
        )
        return f"<Run {self.id}: {self.scenario} seed {self.seed}, {self.status}, {last}>"


class SolRow(Base):
    """One sol's summary: when it began, energy used, distance driven."""

    __tablename__ = "sols"

    run_id: Mapped[str] = _run_id()
    sol: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase: Mapped[str | None] = mapped_column(String(PHASE_NAME_LENGTH))
    utc_start: Mapped[datetime] = mapped_column(UtcDateTime)
    lmst_start: Mapped[str | None] = mapped_column(String(12))
    energy_used_j: Mapped[float] = mapped_column(Double)
    drive_m: Mapped[float] = mapped_column(Double)
    odometry_m: Mapped[float] = mapped_column(Double)
    data_bits: Mapped[int | None] = mapped_column(BigInteger)


class ActivityRow(Base):
    """One activity of a sol; ``start_s`` counts from the sol's LMST midnight (SI seconds)."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_run_sol", "run_id", "sol"),)

    _numbered = True

    run_id: Mapped[str] = _run_id()
    id: Mapped[int] = _row_number()
    sol: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(ACTIVITY_KIND_LENGTH))
    name: Mapped[str] = mapped_column(String(ACTIVITY_NAME_LENGTH))
    start_s: Mapped[float] = mapped_column(Double)
    duration_s: Mapped[float] = mapped_column(Double)
    energy_j: Mapped[float] = mapped_column(Double)
    outcome: Mapped[str | None] = mapped_column(String(64))


class EventRow(Base):
    """A named event; EDL events carry ``t_s`` (seconds from entry interface).

    Surface events carry the sol; everything else measured about the event
    (altitude, Mach, the tube involved...) is in ``payload``.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_run_sol", "run_id", "sol"),)

    _numbered = True

    run_id: Mapped[str] = _run_id()
    id: Mapped[int] = _row_number()
    sol: Mapped[int | None] = mapped_column(Integer)
    t_s: Mapped[float | None] = mapped_column(Double)
    name: Mapped[str] = mapped_column(String(EVENT_NAME_LENGTH))
    payload: Mapped[Any] = mapped_column(Json, nullable=True)


class TraverseRow(Base):
    """One point of the rover's path; ``seq`` orders the points within a sol."""

    __tablename__ = "traverse"

    run_id: Mapped[str] = _run_id()
    sol: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    east_m: Mapped[float] = mapped_column(Double)
    north_m: Mapped[float] = mapped_column(Double)
    elevation_m: Mapped[float] = mapped_column(Double)
    drive_mode: Mapped[str] = mapped_column(String(32))


class PowerRow(Base):
    """One sol's energy budget: battery charge range and end, generated, used."""

    __tablename__ = "power"

    run_id: Mapped[str] = _run_id()
    sol: Mapped[int] = mapped_column(Integer, primary_key=True)
    charge_min_j: Mapped[float] = mapped_column(Double)
    charge_max_j: Mapped[float] = mapped_column(Double)
    charge_end_j: Mapped[float] = mapped_column(Double)
    generated_j: Mapped[float] = mapped_column(Double)
    used_j: Mapped[float] = mapped_column(Double)


class TubeRow(Base):
    """One of the 43 tubes and its current state (the history is in ``custody_events``)."""

    __tablename__ = "tubes"

    run_id: Mapped[str] = _run_id()
    tube_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    designation: Mapped[str | None] = mapped_column(String(32))
    sample_type: Mapped[str | None] = mapped_column(String(32))


class SampleRow(Base):
    """A sample: its name, the tube it is in, the sol and the place it was taken."""

    __tablename__ = "samples"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "tube_id"], ["tubes.run_id", "tubes.tube_id"], ondelete="CASCADE"
        ),
        UniqueConstraint("run_id", "tube_id", name="uq_samples_tube"),
        Index("ix_samples_name", "name"),
    )

    run_id: Mapped[str] = _run_id()
    name: Mapped[str] = mapped_column(String(SAMPLE_NAME_LENGTH), primary_key=True)
    tube_id: Mapped[str] = mapped_column(String(32))
    sol: Mapped[int] = mapped_column(Integer)
    sample_type: Mapped[str] = mapped_column(String(32))
    east_m: Mapped[float] = mapped_column(Double)
    north_m: Mapped[float] = mapped_column(Double)

    def __repr__(self) -> str:
        return (
            f"<Sample {self.name}: {self.sample_type} in tube {self.tube_id}, sol {self.sol}, "
            f"{self.east_m:.1f} m E {self.north_m:.1f} m N>"
        )


class CustodyRow(Base):
    """One state change of a tube: from what, to what, when, where and by whom."""

    __tablename__ = "custody_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "tube_id"], ["tubes.run_id", "tubes.tube_id"], ondelete="CASCADE"
        ),
        Index("ix_custody_run_tube", "run_id", "tube_id"),
    )

    _numbered = True

    run_id: Mapped[str] = _run_id()
    id: Mapped[int] = _row_number()
    tube_id: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    sol: Mapped[int] = mapped_column(Integer)
    lmst: Mapped[str | None] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(64))
    east_m: Mapped[float | None] = mapped_column(Double)
    north_m: Mapped[float | None] = mapped_column(Double)


class ProductRow(Base):
    """A data product file of the run (``path`` relative to the run folder).

    Image products (``kind`` ``image``, ``panorama``...) also say what took them and
    how: ``instrument`` (e.g. ``Navcam``) and ``camera`` (a name of
    ``data/instruments/cameras.toml``), ``lmst`` (``HH:MM:SS``), ``pointing`` (JSON:
    ``az_deg`` clockwise from north, ``el_deg`` up from the horizon, or a named
    pointing), the file's ``width_px`` x ``height_px`` and its ``thumbnail`` (a path
    relative to the run folder; the same as ``path`` for a thumbnail-only product).
    ``status`` is ``ok``, or ``failed`` with its ``reason`` (no file was written).
    """

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("run_id", "path", name="uq_products_path"),
        CheckConstraint("status IN ('ok', 'failed')", name="products_status"),
        Index("ix_products_run_sol", "run_id", "sol"),
    )

    _numbered = True

    run_id: Mapped[str] = _run_id()
    id: Mapped[int] = _row_number()
    kind: Mapped[str] = mapped_column(String(PRODUCT_KIND_LENGTH))
    path: Mapped[str] = mapped_column(String(PRODUCT_PATH_LENGTH))
    sol: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(String(PRODUCT_NAME_LENGTH))
    instrument: Mapped[str | None] = mapped_column(String(CAMERA_NAME_LENGTH))
    camera: Mapped[str | None] = mapped_column(String(CAMERA_NAME_LENGTH))
    lmst: Mapped[str | None] = mapped_column(String(12))
    pointing: Mapped[Any] = mapped_column(Json, nullable=True)
    thumbnail: Mapped[str | None] = mapped_column(String(PRODUCT_PATH_LENGTH))
    width_px: Mapped[int | None] = mapped_column(Integer)
    height_px: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    reason: Mapped[str | None] = mapped_column(String(PRODUCT_PATH_LENGTH))


class WeatherSolRow(Base):
    """What MEDA measured on one sol (sols it ran): pressure [Pa], air temperature at
    1.45 m and ground temperature [K], wind [m/s], the dust opacity, the vortices whose
    pressure drop it sampled, and how many samples it took. Its samples are a Parquet
    table in the run folder (a ``meda_table`` product)."""

    __tablename__ = "weather_sols"

    run_id: Mapped[str] = _run_id()
    sol: Mapped[int] = mapped_column(Integer, primary_key=True)
    ls_deg: Mapped[float] = mapped_column(Double)
    samples: Mapped[int] = mapped_column(Integer)
    pressure_min_pa: Mapped[float] = mapped_column(Double)
    pressure_max_pa: Mapped[float] = mapped_column(Double)
    pressure_mean_pa: Mapped[float] = mapped_column(Double)
    air_temperature_min_k: Mapped[float] = mapped_column(Double)
    air_temperature_max_k: Mapped[float] = mapped_column(Double)
    air_temperature_mean_k: Mapped[float] = mapped_column(Double)
    ground_temperature_min_k: Mapped[float] = mapped_column(Double)
    ground_temperature_max_k: Mapped[float] = mapped_column(Double)
    peak_wind_mps: Mapped[float] = mapped_column(Double)
    mean_wind_mps: Mapped[float] = mapped_column(Double)
    dust_tau: Mapped[float] = mapped_column(Double)
    vortex_count: Mapped[int] = mapped_column(Integer)
    dusty_vortex_count: Mapped[int] = mapped_column(Integer)


class MoxieRunRow(Base):
    """One MOXIE run: when it started [s from LMST midnight], its warm-up and production
    [s], the oxygen made [g], its peak rate [g/h], purity (0..1), energy [J], peak power
    [W], what limited the current (``setpoint``, ``ramp``, ``power_supply``,
    ``co2_flow``) and the air's density at its start [kg/m^3]. Its time series is a
    ``moxie_series`` product."""

    __tablename__ = "moxie_runs"

    run_id: Mapped[str] = _run_id()
    run: Mapped[int] = mapped_column(Integer, primary_key=True)
    sol: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(ACTIVITY_NAME_LENGTH))
    start_s: Mapped[float] = mapped_column(Double)
    warmup_s: Mapped[float] = mapped_column(Double)
    production_s: Mapped[float] = mapped_column(Double)
    grams: Mapped[float] = mapped_column(Double)
    peak_g_per_h: Mapped[float] = mapped_column(Double)
    purity: Mapped[float] = mapped_column(Double)
    energy_j: Mapped[float] = mapped_column(Double)
    peak_power_w: Mapped[float] = mapped_column(Double)
    limited_by: Mapped[str] = mapped_column(String(32))
    density_kg_m3: Mapped[float] = mapped_column(Double)


class DownlinkRow(Base):
    """One product sent home: ``item`` is the product's path (its thumbnail's path for
    a thumbnail, ``activity/sol_NNNN/<n>`` for an activity's data that has no file),
    ``kind``, ``priority`` (1-100), ``bits``, the sol it was made on (``acquired_sol``),
    and when it was made, sent by ``orbiter`` (on a pass of ``sol``) and received on
    Earth (UTC). Products still waiting onboard have no row; they are in the checkpoint."""

    __tablename__ = "downlinks"
    __table_args__ = (
        Index("ix_downlinks_run_item", "run_id", "item"),
        CheckConstraint("priority BETWEEN 1 AND 100", name="downlinks_priority"),
    )

    _numbered = True

    run_id: Mapped[str] = _run_id()
    id: Mapped[int] = _row_number()
    item: Mapped[str] = mapped_column(String(PRODUCT_PATH_LENGTH))
    kind: Mapped[str] = mapped_column(String(PRODUCT_KIND_LENGTH))
    priority: Mapped[int] = mapped_column(Integer)
    bits: Mapped[float] = mapped_column(Double)
    acquired_sol: Mapped[int] = mapped_column(Integer)
    sol: Mapped[int] = mapped_column(Integer)
    orbiter: Mapped[str] = mapped_column(String(16))
    acquired_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    received_utc: Mapped[datetime] = mapped_column(UtcDateTime)


#: Every table of the schema, by name.
TABLES = {m.__tablename__: m for m in Base.__subclasses__()}
