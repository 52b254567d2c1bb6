"""Procedural close-ups: each shape spans the pixels its stated size and field give."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.imaging import closeups as c

WIDTH, HEIGHT = 320, 240


def test_the_abrasion_patch_spans_5_cm_of_the_8_cm_field():
    image = c.abrasion_patch(WIDTH, HEIGHT, seed=1, rock="igneous")
    # fresh igneous rock is dark and grey; the dusty surface is red (R well above B)
    redness = image[..., 0] - image[..., 2]
    row = redness[HEIGHT // 2]
    fresh = np.nonzero(row < 0.5 * float(np.median(row)))[0]
    span_px = fresh[-1] - fresh[0] + 1
    hand = c.ABRASION_DIAMETER_M / c.ABRASION_FIELD_M * WIDTH  # 200 px
    assert span_px == pytest.approx(hand, abs=4)


def test_the_sealed_tube_is_its_diameter_across_the_field():
    image = c.sealed_tube(WIDTH, HEIGHT, seed=2)
    lit = np.nonzero(image[HEIGHT // 2].max(axis=1) > 0.1)[0]  # brighter than the assembly
    hand = c.TUBE_OUTER_DIAMETER_M / c.TUBE_FIELD_M * WIDTH  # 152 px
    assert lit[-1] - lit[0] + 1 == pytest.approx(hand, abs=3)


def test_a_dropped_tube_lying_across_is_its_length_in_pixels():
    image = c.dropped_tube(WIDTH, HEIGHT, seed=3, angle_deg=0.0)
    row = image[HEIGHT // 2].mean(axis=1)
    bright = np.nonzero(row > 0.5)[0]  # the white tube on dark soil
    hand = (c.TUBE_LENGTH_M + c.TUBE_OUTER_DIAMETER_M) / c.DROPPED_FIELD_M * WIDTH  # 180 px
    assert bright[-1] - bright[0] + 1 == pytest.approx(hand, abs=3)


def test_close_ups_are_deterministic_and_in_range():
    for draw in (c.abrasion_patch, c.sealed_tube, c.dropped_tube):
        a, b = draw(64, 48, seed=5), draw(64, 48, seed=5)
        assert a.shape == (48, 64, 3) and np.array_equal(a, b)
        assert a.min() >= 0.0 and a.max() <= 1.0
    assert not np.array_equal(c.abrasion_patch(64, 48, seed=5), c.abrasion_patch(64, 48, seed=6))
