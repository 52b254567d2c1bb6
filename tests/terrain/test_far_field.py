"""The Jezero far field against the site's figures and hand geometry.

Independent figures: the crater's centre from the landing site by spherical trigonometry
(great-circle distance and initial bearing, not the frame code), the rim crest at half the
data diameter from it, the rim's elevation angle atan((h_rim - d^2 / 2R - 2 m) / d) from a
camera 2 m above the floor, and the delta front at the site's bearing and distance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.errors import ConfigError
from perseverance.imaging.heightfield import HeightField
from perseverance.mars.constants import R_MARS
from perseverance.terrain.far_field import FarField
from perseverance.terrain.landforms import delta_heights
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

#: One far-field cell [m]: how well a grid of 200 m cells places a feature.
ONE_CELL_M = 200.0
#: The rim's elevation angle as ray-cast against the hand geometry [deg].
ANGLE_TOLERANCE_DEG = 0.1
#: The delta front's bearing from the landing point [deg].
BEARING_TOLERANCE_DEG = 5.0
CAMERA_HEIGHT_M = 2.0
#: Bearings from the landing point clear of the inlet valley (WNW, about 296 deg).
RIM_BEARINGS_DEG = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 345.0)


@pytest.fixture(scope="module")
def site():
    return load_site("jezero")


@pytest.fixture(scope="module")
def far(site):
    return FarField.generate(site)


def _centre_by_great_circle(site) -> tuple[float, float]:
    """East, north [m] of the crater centre: distance and bearing on the sphere."""
    lat1 = math.radians(site.landing_site.latitude_deg)
    lon1 = math.radians(site.landing_site.longitude_deg)
    lat2 = math.radians(site.far_field.crater_latitude_deg)
    lon2 = math.radians(site.far_field.crater_longitude_deg)
    dlon = lon2 - lon1
    central = 2.0 * math.asin(
        math.sqrt(
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        )
    )
    bearing = math.atan2(
        math.sin(dlon) * math.cos(lat2),
        math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon),
    )
    d = R_MARS * central
    return d * math.sin(bearing), d * math.cos(bearing)


def test_crater_centre_and_diameter_where_the_data_say(site, far):
    ce, cn = _centre_by_great_circle(site)
    # 18.38 N 77.58 E lies about 8.2 km ESE of the landing site.
    assert math.hypot(ce, cn) == pytest.approx(8208.0, abs=50.0)
    radius = 0.5 * site.far_field.crater_diameter_m
    r = np.arange(radius - 4000.0, radius + 4000.0, 10.0)
    crests = []
    for bearing in np.radians(np.arange(0.0, 360.0, 30.0)):
        if abs(math.degrees(bearing) - site.far_field.inlet_bearing_deg) < 30.0:
            continue  # the inlet breaches the rim there
        e = ce + r * math.sin(bearing)
        n = cn + r * math.cos(bearing)
        k = int(np.argmax(far.surface(e, n)))
        crests.append((e[k], n[k], r[k]))
    crest = np.array(crests)
    assert len(crest) >= 10
    np.testing.assert_allclose(crest[:, 2], radius, atol=ONE_CELL_M)
    # The circle through the crests (least squares: e^2 + n^2 = 2 a e + 2 b n + c).
    x, y = crest[:, 0], crest[:, 1]
    design = np.column_stack([2.0 * x, 2.0 * y, np.ones_like(x)])
    (a, b, c), *_ = np.linalg.lstsq(design, x * x + y * y, rcond=None)
    assert math.hypot(a - ce, b - cn) < ONE_CELL_M
    assert 2.0 * math.sqrt(c + a * a + b * b) == pytest.approx(
        site.far_field.crater_diameter_m, abs=2.0 * ONE_CELL_M
    )
    # The crest stands the rim height above the floor.
    heights = far.surface(crest[:, 0], crest[:, 1]) - site.landing_site.floor_elevation_m
    np.testing.assert_allclose(heights, site.far_field.rim_height_m, atol=30.0)


def _horizon_deg(field: HeightField, origin: np.ndarray, bearing_rad: float) -> float:
    """Elevation angle [deg] of the horizon along a bearing: bisect between a ray that
    hits the ground and one that does not."""
    lo, hi = math.radians(-1.0), math.radians(10.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        direction = np.array(
            [math.cos(mid) * math.sin(bearing_rad), math.cos(mid) * math.cos(bearing_rad),
             math.sin(mid)]
        )  # fmt: skip
        t, _ = field.intersect(origin[None, :], direction[None, :])
        lo, hi = (mid, hi) if np.isfinite(t[0]) else (lo, mid)
    return math.degrees(0.5 * (lo + hi))


def test_rim_elevation_angle_from_the_landing_point(site, far):
    field = HeightField.of(far, rocks=False, curved=True)
    floor = site.landing_site.floor_elevation_m
    camera = np.array([0.0, 0.0, floor + CAMERA_HEIGHT_M])
    ce, cn = _centre_by_great_circle(site)
    radius = 0.5 * site.far_field.crater_diameter_m
    h_rim = site.far_field.rim_height_m
    for bearing_deg in RIM_BEARINGS_DEG:
        b = math.radians(bearing_deg)
        u_dot_c = math.sin(b) * ce + math.cos(b) * cn
        d = u_dot_c + math.sqrt(u_dot_c**2 - (ce**2 + cn**2) + radius**2)
        drop = d * d / (2.0 * R_MARS)
        expected = math.degrees(math.atan((h_rim - drop - CAMERA_HEIGHT_M) / d))
        found = _horizon_deg(field, camera, b)
        assert found == pytest.approx(expected, abs=ANGLE_TOLERANCE_DEG), bearing_deg
    # The nearest rim (west, ~14 km) stands well above the farthest (east, ~31 km).
    assert _horizon_deg(field, camera, math.radians(270.0)) > 2.0
    assert _horizon_deg(field, camera, math.radians(90.0)) < 1.2


def test_delta_front_at_its_bearing_and_distance(site, far):
    delta = site.delta
    floor = site.landing_site.floor_elevation_m
    bearings = np.radians(np.arange(265.0, 320.0, 0.25))[:, None]
    distance = np.arange(0.0, 6000.0, 5.0)[None, :]
    height = far.surface(distance * np.sin(bearings), distance * np.cos(bearings)) - floor
    above = height > 0.5 * delta.height_m
    assert above.any(axis=1).all()
    first = distance[0, np.argmax(above, axis=1)]  # where each bearing climbs the scarp
    # The front is a straight line near the landing point: fit it (its normal is the
    # direction of least spread of the front's points), then its foot from the origin.
    points = np.column_stack([first * np.sin(bearings[:, 0]), first * np.cos(bearings[:, 0])])
    centred = points - points.mean(axis=0)
    normal = np.linalg.svd(centred, full_matrices=False)[2][-1]
    foot = float(points.mean(axis=0) @ normal)
    if foot < 0.0:
        normal, foot = -normal, -foot
    bearing = math.degrees(math.atan2(normal[0], normal[1])) % 360.0
    assert bearing == pytest.approx(delta.bearing_deg, abs=BEARING_TOLERANCE_DEG)
    assert foot == pytest.approx(delta.distance_m, abs=ONE_CELL_M)
    # On the fan the deposit stands its height above the floor.
    b = math.radians(delta.bearing_deg)
    top = far.surface(6000.0 * math.sin(b), 6000.0 * math.cos(b)) - floor
    assert top == pytest.approx(delta.height_m, abs=25.0)


def test_the_seam_matches_the_local_maps_deterministic_part(site, far):
    """On the footprint's edge the far field is the floor plus the unwandering scarp."""
    half = site.region.half_width_m
    edge = np.arange(-half, half + 1.0, ONE_CELL_M)
    straight = site.delta.model_copy(update={"front_wander_m": 0.0})
    rng = np.random.default_rng(0)
    for e, n in ((edge, np.array([half])), (edge, np.array([-half])),
                 (np.array([half]), edge), (np.array([-half]), edge)):  # fmt: skip
        expected = site.landing_site.floor_elevation_m + delta_heights(straight, e, n, rng)
        got = far.surface(e[None, :], n[:, None])
        np.testing.assert_allclose(got, expected, atol=0.01)
        np.testing.assert_allclose(far.elevation(e[None, :], n[:, None]), expected, atol=0.01)


def test_the_footprint_lies_below_the_local_map(site, far, region):
    rng = np.random.default_rng(1)
    reach = site.region.half_width_m - far.resolution_m
    e = rng.uniform(-reach, reach, 20_000)
    n = rng.uniform(-reach, reach, 20_000)
    assert np.all(far.elevation(e, n) < region.elevation(e, n) - 10.0)
    # Outside the footprint the far field is its own ground, up to the rim.
    outside = far.elevation(-12_000.0, 0.0)
    assert outside == pytest.approx(far.surface(-12_000.0, 0.0))
    assert far.elevation(0.0, 0.0) < site.landing_site.floor_elevation_m - 100.0


def test_cached_per_site_and_deterministic(site, far):
    assert FarField.generate(load_site("jezero")) is far
    again = FarField(site)
    np.testing.assert_array_equal(again.elevation_m, far.elevation_m)
    assert np.all(far.rock_height_m == 0.0)
    assert "347x347" in repr(far)


def test_a_site_without_a_far_field_is_refused(site):
    bare = site.model_copy(update={"far_field": None})
    with pytest.raises(ConfigError, match="far_field"):
        FarField.generate(bare)


@pytest.fixture(scope="module")
def region(site):
    return LandingRegion.generate(site, seed=7)


def test_fitted_to_a_region_the_seam_is_the_regions_own(site, region):
    fitted = FarField.generate(site, region)
    assert FarField.generate(site, region) is fitted  # cached by (site, seed)
    half = site.region.half_width_m
    edge = np.arange(-half, half + 1.0, ONE_CELL_M)
    for e, n in ((edge, np.full_like(edge, half)), (np.full_like(edge, -half), edge)):
        np.testing.assert_allclose(fitted.elevation(e, n), region.elevation(e, n), atol=1e-9)
    # One cell outside, the far field carries on from the region's edge: no step bigger
    # than the model's own change over a cell.
    out = half + ONE_CELL_M
    step = fitted.surface(edge, np.full_like(edge, out)) - region.elevation(edge, half)
    assert np.max(np.abs(step)) < 15.0
    # Beyond the blend the far field is its own again.
    far_point = (0.0, half + site.far_field.seam_blend_m + ONE_CELL_M)
    assert fitted.surface(*far_point) == pytest.approx(FarField.generate(site).surface(*far_point))


def test_fitted_the_footprint_lies_just_below_the_region(site, region):
    fitted = FarField.generate(site, region)
    rng = np.random.default_rng(2)
    reach = site.region.half_width_m - fitted.resolution_m
    e = rng.uniform(-reach, reach, 50_000)
    n = rng.uniform(-reach, reach, 50_000)
    gap = region.elevation(e, n) - fitted.elevation(e, n)
    assert gap.min() > 0.0
    # Only a few metres below on the flat floor, so rays that meet the region stop soon.
    assert np.median(gap) < 30.0


def test_a_region_of_another_extent_is_refused(site, region):
    small = site.model_copy(
        update={"region": site.region.model_copy(update={"half_width_m": 4000.0})}
    )
    with pytest.raises(ValueError, match="footprint"):
        FarField.generate(small, region)
