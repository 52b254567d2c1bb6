"""The rover's onboard store and its prioritised downlink through relay passes.

Every product waits in the onboard store (its size, ``capacity_bits``, is data:
``data/rover/telecom.toml``) until a relay pass carries it. Each pass empties the
queue in priority order (1 first; then the order products were made) up to the pass's
volume: a product is sent when its last bit leaves, at a time interpolated through
the pass as if its volume flowed at a uniform rate (the rate really follows the
range; the volume is what `perseverance.relay.passes` integrated). A product
received on Earth arrives one store-and-forward delay (the orbiter's, data) and one
light time after it was sent, so it is never received before ``sent + light time``.

A product may wait for another (``after``: a full frame waits for its thumbnail).
It is sent on a pass only if what it waits for is already received by the time
anything this pass carries can arrive, or goes first on the same pass: so a
thumbnail is never received after its full frame, whatever the orbiters' delays.

Times are ``datetime64[us]`` UTC. The queue is plain arrays and `to_json` /
`from_json` carry it in the mission's checkpoint, so a resumed run drains exactly
as one never interrupted.

>>> import numpy as np
>>> store = OnboardStore(1e9)
>>> store.add([Item("a.png", "image", 10, 8e6, np.datetime64("2021-03-01T10:00"), 10)])
>>> sent = store.relay(np.datetime64("2021-03-01T12:00"), np.datetime64("2021-03-01T12:10"),
...                    1e8, "mro", delay_s=0.0, light_time_s=lambda t: np.full(t.shape, 600.0))
>>> sent.key.tolist(), store.used_bits
(['a.png'], 0.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Item", "OnboardStore", "Sent", "StoreOverflowError"]

#: A product that waits for nothing.
_NONE = -1
#: "Not received yet" in the predecessor's receipt column [us since 1970].
_NEVER = np.iinfo(np.int64).max

LightTime = Callable[[NDArray[np.datetime64]], NDArray[np.float64]]


class StoreOverflowError(ValueError):
    """The products added do not fit in the onboard store (the planner must prevent it)."""


@dataclass(frozen=True)
class Item:
    """One product to send: ``key`` (unique, e.g. its path), its ``kind``, ``priority``
    (1-100, 1 first), size [bit], when it was made (UTC), its sol, and the key of the
    product it must not overtake (``after``, e.g. its thumbnail), if any."""

    key: str
    kind: str
    priority: int
    bits: float
    acquired_utc: np.datetime64
    sol: int
    after: str | None = None


@dataclass(frozen=True)
class Sent:
    """The products a pass completed, as columns, in the order they were sent."""

    key: NDArray[np.str_]
    kind: NDArray[np.str_]
    priority: NDArray[np.int64]
    bits: NDArray[np.float64]
    sol: NDArray[np.int64]
    acquired_utc: NDArray[np.datetime64]
    sent_utc: NDArray[np.datetime64]
    received_utc: NDArray[np.datetime64]
    orbiter: str

    def __len__(self) -> int:
        return int(self.key.size)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per product: key, kind, priority, bits, sol, times (datetime64)."""
        return [
            {
                "key": str(self.key[i]),
                "kind": str(self.kind[i]),
                "priority": int(self.priority[i]),
                "bits": float(self.bits[i]),
                "sol": int(self.sol[i]),
                "acquired_utc": self.acquired_utc[i],
                "sent_utc": self.sent_utc[i],
                "received_utc": self.received_utc[i],
                "orbiter": self.orbiter,
            }
            for i in range(len(self))
        ]


def _us(t: Any) -> NDArray[np.int64]:
    return np.asarray(np.asarray(t, dtype="datetime64[us]").astype(np.int64))


def _t(us: NDArray[np.int64]) -> NDArray[np.datetime64]:
    return np.asarray(us, dtype=np.int64).astype("datetime64[us]")


class OnboardStore:
    """The queue of products awaiting relay, at most ``capacity_bits`` [bit]."""

    _COLUMNS = ("key", "kind", "priority", "bits", "left", "acquired", "sol", "seq", "after",
                "after_received")  # fmt: skip

    def __init__(self, capacity_bits: float):
        if not (np.isfinite(capacity_bits) and capacity_bits > 0):
            raise ValueError(f"capacity_bits = {capacity_bits!r} must be a finite number > 0")
        self.capacity_bits = float(capacity_bits)
        self._next_seq = 0
        self.key = np.empty(0, dtype=object)
        self.kind = np.empty(0, dtype=object)
        self.priority = np.empty(0, dtype=np.int64)
        self.bits = np.empty(0, dtype=np.float64)
        self.left = np.empty(0, dtype=np.float64)
        self.acquired = np.empty(0, dtype=np.int64)  # us since 1970
        self.sol = np.empty(0, dtype=np.int64)
        self.seq = np.empty(0, dtype=np.int64)
        self.after = np.empty(0, dtype=np.int64)  # seq of the predecessor, or _NONE
        self.after_received = np.empty(0, dtype=np.int64)  # its receipt [us], or _NEVER

    def __len__(self) -> int:
        return int(self.key.size)

    def __repr__(self) -> str:
        return (
            f"<OnboardStore {len(self)} products, {self.used_bits / 8e9:.3f} GB of "
            f"{self.capacity_bits / 8e9:.3f} GB>"
        )

    @property
    def used_bits(self) -> float:
        """Bits waiting [bit] (partly sent products count what is left of them)."""
        return float(self.left.sum())

    @property
    def free_bits(self) -> float:
        return self.capacity_bits - self.used_bits

    # ------------------------------------------------------------------ filling

    def add(self, items: Sequence[Item]) -> None:
        """Queue ``items``; `StoreOverflowError` (nothing added) if they do not fit, or
        `ValueError` for a bad item (a size <= 0, a priority outside 1-100, an ``after``
        that is not queued before it with a priority at least as high)."""
        if not items:
            return
        bits = np.array([it.bits for it in items], dtype=np.float64)
        priority = np.array([it.priority for it in items], dtype=np.int64)
        if not np.all(np.isfinite(bits) & (bits > 0)):
            raise ValueError("every product's bits must be a finite number > 0")
        if not np.all((priority >= 1) & (priority <= 100)):
            raise ValueError("every product's priority must be in 1..100")
        if self.used_bits + bits.sum() > self.capacity_bits:
            raise StoreOverflowError(
                f"{bits.sum():.4g} bit do not fit in the onboard store "
                f"({self.free_bits:.4g} of {self.capacity_bits:.4g} bit free)"
            )
        seq = self._next_seq + np.arange(len(items), dtype=np.int64)
        by_key = {
            str(k): (int(s), int(p))
            for k, s, p in zip(self.key, self.seq, self.priority, strict=True)
        }
        after = np.full(len(items), _NONE, dtype=np.int64)
        for i, it in enumerate(items):
            if it.key in by_key:
                raise ValueError(f"product {it.key!r} is queued twice")
            if it.after is not None:
                if it.after not in by_key or by_key[it.after][1] > it.priority:
                    raise ValueError(
                        f"product {it.key!r} waits for {it.after!r}, which must be queued "
                        "before it with a priority at least as high"
                    )
                after[i] = by_key[it.after][0]
            by_key[it.key] = (int(seq[i]), it.priority)
        self._next_seq += len(items)
        self._append(
            key=np.array([it.key for it in items], dtype=object),
            kind=np.array([it.kind for it in items], dtype=object),
            priority=priority,
            bits=bits,
            left=bits.copy(),
            acquired=_us([it.acquired_utc for it in items]),
            sol=np.array([it.sol for it in items], dtype=np.int64),
            seq=seq,
            after=after,
            after_received=np.where(after == _NONE, np.int64(0), np.int64(_NEVER)),
        )

    def _append(self, **columns: NDArray[Any]) -> None:
        for name in self._COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), columns[name]]))

    def _keep(self, keep: NDArray[np.bool_]) -> None:
        for name in self._COLUMNS:
            setattr(self, name, getattr(self, name)[keep])

    # ----------------------------------------------------------------- draining

    def relay(
        self,
        rise_utc: Any,
        set_utc: Any,
        volume_bits: float,
        orbiter: str,
        *,
        delay_s: float,
        light_time_s: LightTime,
    ) -> Sent:
        """Send what one pass can carry; the products it completed.

        ``delay_s`` [s] is the orbiter's store-and-forward delay; ``light_time_s`` maps
        UTC (datetime64 array) to the one-way light time [s] of a signal leaving Mars.
        """
        rise, set_ = int(_us(rise_utc)), int(_us(set_utc))
        if set_ < rise or not (np.isfinite(volume_bits) and volume_bits >= 0):
            raise ValueError("a pass needs set >= rise and a finite volume >= 0")
        nothing = np.empty(0, np.int64)
        if not len(self) or volume_bits <= 0:
            return self._sent(nothing, orbiter, nothing, nothing)
        delay_us = round(delay_s * 1e6)
        first_arrival = self._arrivals(np.array([rise]), delay_us, light_time_s)[0]
        ready = self.acquired <= rise
        # a product waiting for another goes if that one is received by the time this
        # pass's data can arrive, or if it is queued and ready (it then goes first)
        pred_at = np.searchsorted(self.seq, self.after)
        pred_at = np.minimum(pred_at, max(len(self) - 1, 0))
        pred_queued = (self.after != _NONE) & (self.seq[pred_at] == self.after)
        pred_ready = pred_queued & ready[pred_at]
        ready &= (self.after_received <= first_arrival) | pred_ready
        order = np.lexsort((self.seq, self.priority))
        order = order[ready[order]]
        cum = np.cumsum(self.left[order])
        done = order[cum <= volume_bits * (1.0 + 1e-12)]
        partial = order[cum > volume_bits * (1.0 + 1e-12)][:1]
        duration_us = set_ - rise
        sent_us = rise + np.round(
            np.minimum(cum[: done.size] / volume_bits, 1.0) * duration_us
        ).astype(np.int64)
        if partial.size:
            before = cum[done.size - 1] if done.size else 0.0
            self.left[partial] -= volume_bits - before
        received_us = self._arrivals(sent_us, delay_us, light_time_s)
        finished = np.zeros(len(self), bool)
        finished[done] = True
        out = self._sent(done, orbiter, sent_us, received_us)
        # those waiting for a product just received learn when it arrived
        waiting = np.isin(self.after, self.seq[done])
        if waiting.any():
            by_seq = np.argsort(self.seq[done])
            at = np.searchsorted(self.seq[done][by_seq], self.after[waiting])
            self.after_received[waiting] = received_us[by_seq][at]
        self._keep(~finished)
        return out

    @staticmethod
    def _arrivals(sent_us: NDArray[np.int64], delay_us: int, light_time_s: LightTime
                  ) -> NDArray[np.int64]:  # fmt: skip
        relayed = sent_us + delay_us
        light_us = np.ceil(np.asarray(light_time_s(_t(relayed)), float) * 1e6).astype(np.int64)
        return np.asarray(relayed + light_us + 1)  # +1 us: never before sent + light time

    def _sent(
        self,
        done: NDArray[np.int64],
        orbiter: str,
        sent_us: NDArray[np.int64],
        received_us: NDArray[np.int64],
    ) -> Sent:
        return Sent(
            key=self.key[done].astype(str),
            kind=self.kind[done].astype(str),
            priority=self.priority[done],
            bits=self.bits[done],
            sol=self.sol[done],
            acquired_utc=_t(self.acquired[done]),
            sent_utc=_t(sent_us),
            received_utc=_t(received_us),
            orbiter=orbiter,
        )

    # --------------------------------------------------------------- checkpoint

    def to_json(self) -> dict[str, Any]:
        """The queue as JSON-ready data."""
        out: dict[str, Any] = {"capacity_bits": self.capacity_bits, "next_seq": self._next_seq}
        for name in self._COLUMNS:
            out[name] = getattr(self, name).tolist()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OnboardStore:
        """Read `to_json` back (`KeyError` / `ValueError` if it is not such data)."""
        store = cls(float(data["capacity_bits"]))
        store._next_seq = int(data["next_seq"])
        types: dict[str, Any] = {"key": object, "kind": object, "bits": np.float64,
                                 "left": np.float64}  # fmt: skip
        for name in cls._COLUMNS:
            setattr(store, name, np.array(data[name], dtype=types.get(name, np.int64)))
        if len({len(getattr(store, n)) for n in cls._COLUMNS}) != 1:
            raise ValueError("the onboard store's columns differ in length")
        return store
