"""The onboard store and its prioritised downlink (`perseverance.relay.downlink`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.relay.downlink import Item, OnboardStore, StoreOverflowError

T0 = np.datetime64("2021-03-01T00:00:00", "us")
HOUR = np.timedelta64(3600, "s")


def light(t: np.ndarray) -> np.ndarray:
    """A light time that drifts (s): 600 s plus a few seconds a day."""
    days = (t - T0) / np.timedelta64(1, "D")
    return 600.0 + 3.0 * np.asarray(days, float)


def test_a_pass_sends_in_priority_order_up_to_its_volume() -> None:
    store = OnboardStore(1e9)
    store.add(
        [
            Item("science", "image", 50, 4e7, T0, 1),
            Item("thumb", "image_thumbnail", 5, 1e6, T0, 1),
            Item("engineering", "telemetry", 1, 2e6, T0, 1),
        ]
    )
    sent = store.relay(T0 + HOUR, T0 + 2 * HOUR, 2e7, "mro", delay_s=0.0, light_time_s=light)
    assert sent.key.tolist() == ["engineering", "thumb"]
    assert np.all(np.diff(sent.sent_utc.astype(np.int64)) >= 0)
    assert store.used_bits == pytest.approx(4e7 - (2e7 - 3e6))  # the rest of "science"
    sent = store.relay(T0 + 3 * HOUR, T0 + 4 * HOUR, 1e8, "odyssey", delay_s=0.0,
                       light_time_s=light)  # fmt: skip
    assert sent.key.tolist() == ["science"] and len(store) == 0


def test_a_product_made_after_the_pass_rises_waits_for_the_next() -> None:
    store = OnboardStore(1e9)
    store.add([Item("late", "image", 10, 1e6, T0 + 2 * HOUR, 1)])
    assert not len(store.relay(T0 + HOUR, T0 + 2 * HOUR, 1e9, "mro", delay_s=0.0,
                               light_time_s=light))  # fmt: skip
    assert len(store.relay(T0 + 3 * HOUR, T0 + 4 * HOUR, 1e9, "mro", delay_s=0.0,
                           light_time_s=light)) == 1  # fmt: skip


def test_overflow_is_refused_and_adds_nothing() -> None:
    store = OnboardStore(1e7)
    store.add([Item("a", "image", 10, 6e6, T0, 1)])
    with pytest.raises(StoreOverflowError):
        store.add([Item("b", "image", 10, 3e6, T0, 1), Item("c", "image", 10, 3e6, T0, 1)])
    assert store.key.tolist() == ["a"]


def test_bad_items_are_refused() -> None:
    store = OnboardStore(1e9)
    with pytest.raises(ValueError, match="priority"):
        store.add([Item("a", "image", 0, 1e6, T0, 1)])
    with pytest.raises(ValueError, match="waits for"):
        store.add([Item("full", "image", 10, 1e6, T0, 1, after="nowhere")])
    with pytest.raises(ValueError, match="waits for"):  # a thumbnail of lower priority
        store.add([Item("t", "image_thumbnail", 20, 1e5, T0, 1),
                   Item("f", "image", 10, 1e6, T0, 1, after="t")])  # fmt: skip
    with pytest.raises(ValueError):
        OnboardStore(float("nan"))


pass_strategy = st.tuples(
    st.sampled_from([("mro", 7200.0), ("odyssey", 7200.0), ("tgo", 14400.0), ("mex", 21600.0)]),
    st.floats(0.0, 3e8),  # volume (0: a pass in the conjunction)
    st.floats(60.0, 3600.0),  # duration [s]
)
sol_strategy = st.tuples(
    st.lists(st.tuples(st.integers(1, 100), st.floats(1e4, 5e8), st.booleans()), max_size=6),
    st.lists(pass_strategy, max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(sols=st.lists(sol_strategy, min_size=1, max_size=12), capacity=st.floats(1e8, 4e9))
def test_the_downlink_keeps_its_promises(
    sols: list[tuple[list[tuple[int, float, bool]], list[tuple[tuple[str, float], float, float]]]],
    capacity: float,
) -> None:
    """Whatever the products and passes: the store never overflows (what does not fit is
    refused whole), each product is sent once after it was made and received at least a
    light time after it was sent, a pass never carries more than its volume, and a
    thumbnail is never received after its full frame."""
    store = OnboardStore(capacity)
    made: dict[str, np.datetime64] = {}
    received: dict[str, np.datetime64] = {}
    for sol, (products, passes) in enumerate(sols):
        day = T0 + np.timedelta64(sol, "D")
        items: list[Item] = []
        for i, (priority, bits, thumb) in enumerate(products):
            key, when = f"s{sol}p{i}", day + np.timedelta64(i * 600, "s")
            if thumb:
                items.append(Item(key + ".thumb", "image_thumbnail", max(priority // 2, 1),
                                  bits / 20, when, sol))  # fmt: skip
            items.append(Item(key, "image", priority, bits, when, sol,
                              after=key + ".thumb" if thumb else None))  # fmt: skip
        total = sum(it.bits for it in items)
        before = store.used_bits
        if before + total > capacity:
            with pytest.raises(StoreOverflowError):
                store.add(items)
            assert store.used_bits == before
        else:
            store.add(items)
            made |= {it.key: it.acquired_utc for it in items}
        assert store.used_bits <= capacity
        start = day + np.timedelta64(4, "h")
        for (orbiter, delay), volume, duration in passes:
            end = start + np.timedelta64(int(duration * 1e6), "us")
            left_before = store.used_bits
            sent = store.relay(start, end, volume, orbiter, delay_s=delay, light_time_s=light)
            carried = left_before - store.used_bits
            assert carried <= volume * (1 + 1e-9) + 1e-6
            for row in sent.rows():
                key = row["key"]
                assert key not in received, "sent twice"
                assert row["acquired_utc"] == made[key]
                assert row["sent_utc"] >= row["acquired_utc"]
                assert start <= row["sent_utc"] <= end
                lt = light(np.array([row["sent_utc"] + np.timedelta64(int(delay), "s")]))[0]
                assert row["received_utc"] >= row["sent_utc"] + np.timedelta64(int(lt * 1e6), "us")
                received[key] = row["received_utc"]
            start = end + np.timedelta64(2, "h")
    for key, when in received.items():
        thumb = key + ".thumb"
        if thumb in made:
            assert thumb in received and received[thumb] <= when


def test_the_queue_survives_a_checkpoint() -> None:
    """A store read back from its JSON drains exactly as the one that wrote it."""
    import json

    a = OnboardStore(1e9)
    a.add([Item("t", "image_thumbnail", 5, 1e5, T0, 1), Item("f", "image", 10, 5e7, T0, 1,
                                                              after="t")])  # fmt: skip
    a.relay(T0 + HOUR, T0 + 2 * HOUR, 3e7, "mro", delay_s=7200.0, light_time_s=light)
    b = OnboardStore.from_json(json.loads(json.dumps(a.to_json())))
    args = (T0 + 5 * HOUR, T0 + 6 * HOUR, 1e9, "tgo")
    sa = a.relay(*args, delay_s=14400.0, light_time_s=light)
    sb = b.relay(*args, delay_s=14400.0, light_time_s=light)
    assert sa.rows() == sb.rows() and sa.key.tolist() == ["f"]


def test_a_full_frame_waits_for_a_slow_relay_of_its_thumbnail() -> None:
    """The thumbnail went by a slow relay; a fast relay an hour later may not carry the
    full frame if it would reach Earth first."""
    store = OnboardStore(1e9)
    store.add([Item("t", "image_thumbnail", 5, 1e6, T0, 1), Item("f", "image", 10, 5e8, T0, 1,
                                                              after="t")])  # fmt: skip
    first = store.relay(T0 + HOUR, T0 + 2 * HOUR, 2e6, "mex", delay_s=21600.0, light_time_s=light)
    assert first.key.tolist() == ["t"]
    fast = store.relay(T0 + 3 * HOUR, T0 + 4 * HOUR, 1e9, "mro", delay_s=0.0, light_time_s=light)
    assert not len(fast)  # it would have arrived ~4 h before its thumbnail
    later = store.relay(T0 + 8 * HOUR, T0 + 9 * HOUR, 1e9, "mro", delay_s=0.0, light_time_s=light)
    assert later.key.tolist() == ["f"] and later.received_utc[0] >= first.received_utc[0]
