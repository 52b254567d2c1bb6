"""The mission database: runs, sols, events, traverse, power, tubes, samples, products.

>>> from perseverance.store import open_store
>>> store = open_store("runs/demo/mission.db")     # doctest: +SKIP
>>> store.samples("latest")                         # doctest: +SKIP

SQLite by default, any SQLAlchemy URL otherwise; see `perseverance.store.engine`
for what a database may be, `perseverance.store.writer` for transactions,
`perseverance.store.lease` for the single-writer lease, `perseverance.store.reads`
for the read API and `perseverance.store.schema` for the tables.
"""

from perseverance.errors import StoreError
from perseverance.store.database import Store, open_store
from perseverance.store.lease import DEFAULT_LEASE_S
from perseverance.store.schema import (
    SCHEMA_VERSION,
    ActivityRow,
    CustodyRow,
    EventRow,
    MoxieRunRow,
    PowerRow,
    ProductRow,
    RunRow,
    SampleRow,
    SolRow,
    TraverseRow,
    TubeRow,
    WeatherSolRow,
)
from perseverance.store.writer import RunWriter

__all__ = [
    "DEFAULT_LEASE_S",
    "SCHEMA_VERSION",
    "ActivityRow",
    "CustodyRow",
    "EventRow",
    "MoxieRunRow",
    "PowerRow",
    "ProductRow",
    "RunRow",
    "RunWriter",
    "SampleRow",
    "SolRow",
    "Store",
    "StoreError",
    "TraverseRow",
    "TubeRow",
    "WeatherSolRow",
    "open_store",
]
