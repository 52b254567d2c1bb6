"""perseverance.rover.rimfax: a dipping layer recovered from the radargram, the crater-floor
penetration, echo amplitudes by hand, products and bad data files
(docs/reference/instruments.md §5)."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest

from perseverance.errors import ConfigError, ScenarioError
from perseverance.rover.rimfax import (
    C_M_PER_S,
    Subsurface,
    attenuation_db_per_m_from_q,
    echoes,
    load_radargram,
    load_rimfax,
    plot_radargram,
    random_subsurface,
    range_resolution_m,
    save_radargram,
    sound,
    sound_drive,
    sounding_distances_m,
)

#: Published figures (docs/reference/instruments.md §5).
PENETRATION_M = 15.0  # below the crater floor (A: Hamran et al. 2022)
MAX_DIP_DEG = 15.0  # (A)
FAN_Q = 78.8  # (A)
FAN_VELOCITY_M_PER_S = 0.113e9  # (A)
FAN_ATTENUATION_DB_PER_M = (2.1, 0.4)  # at 675 MHz, value and its error (A)
DESIGN_RESOLUTION_M = (0.05, 0.20)  # vertical resolution (A: Hamran AGU 2014)
SOUNDING_INTERVAL_M = (0.10, 0.20)  # (C)
#: Tolerances: the penetration within a fifth (the layer draws vary from seed to seed).
PENETRATION_TOLERANCE_M = 3.0


@pytest.fixture(scope="module")
def rimfax():
    return load_rimfax()


def _flat_ground(depth_m: float, dip_deg: float, reference_m: float) -> Subsurface:
    """Uniform ε = 7 ground with one interface down to ε = 9 (no loss)."""
    return Subsurface(
        depth_m=np.array([depth_m]),
        dip_rad=np.array([math.radians(dip_deg)]),
        permittivity=np.array([7.0, 9.0]),
        attenuation_db_per_m=np.array([0.0, 0.0]),
        reference_hz=675e6,
        reference_m=reference_m,
    )


def test_fan_front_attenuation_from_its_q_and_velocity():
    eps = (C_M_PER_S / FAN_VELOCITY_M_PER_S) ** 2
    assert eps == pytest.approx(7.04, abs=0.01)
    value, error = FAN_ATTENUATION_DB_PER_M
    assert attenuation_db_per_m_from_q(FAN_Q, eps, 675e6) == pytest.approx(value, abs=error)


def test_range_resolution_is_within_the_design_figure(rimfax):
    lo, hi = DESIGN_RESOLUTION_M
    for mode in rimfax.modes.values():
        assert lo <= range_resolution_m(mode, 7.0) <= hi
    # Shallow: 1.44 x (c / sqrt 7) / (2 x 1.05 GHz) = 1.44 x 0.11331 / 2.1 = 0.0777 m.
    assert range_resolution_m(rimfax.mode("shallow"), 7.0) == pytest.approx(0.0777, abs=1e-4)
    lo, hi = SOUNDING_INTERVAL_M
    assert lo <= rimfax.sounding_interval_m <= hi


def test_echo_time_and_amplitude_by_hand(rimfax):
    # h = 0.4 m, one interface at 3 m from ε = 7 to 9, no loss:
    # tau = (2 x 0.4 + 2 x 3 x sqrt 7) / c = 16.675 m / c = 55.62 ns;
    # R = (sqrt 7 - 3) / (sqrt 7 + 3) = -0.06274, surface T = 1 - ((1 - sqrt 7)/(1 + sqrt 7))^2
    # = 0.79622, spreading 1 / (2 (0.4 + 3 / sqrt 7)) = 0.32597: amplitude -0.016284.
    tau, amp = echoes(_flat_ground(3.0, 0.0, 0.0), np.array([0.0]), rimfax.mode("deep"), 0.4)
    assert tau[0, 1] == pytest.approx(55.62e-9, abs=0.01e-9)
    assert amp[0, 1] == pytest.approx(-0.016284, rel=1e-3)
    assert amp[0, 0] == pytest.approx(-0.45142 / 0.8, rel=1e-3)  # the surface, 2h = 0.8 m


def test_a_dipping_layer_is_recovered_by_picking_its_reflection(rimfax):
    length, dip_deg, depth = 20.0, 10.0, 3.0
    x = sounding_distances_m(length, rimfax.sounding_interval_m)
    ground = _flat_ground(depth, dip_deg, reference_m=length / 2)
    radargram = sound(
        rimfax, ground, x, mode="shallow", permittivity=7.0, rng=np.random.default_rng(3)
    )
    env = radargram.envelope()
    below = radargram.depth_m > 0.5  # past the surface echo
    picked = radargram.depth_m[np.argmax(np.where(below[None, :], env, 0.0), axis=1)]
    slope, middle = np.polyfit(x - length / 2, picked, 1)
    dip = math.asin(slope)  # an unmigrated section shows sin(dip) (zero offset)
    resolution = range_resolution_m(rimfax.mode("shallow"), 7.0)
    assert middle / math.cos(dip) == pytest.approx(depth, abs=resolution)
    assert math.degrees(dip) == pytest.approx(dip_deg, abs=math.degrees(2 * resolution / length))


def _penetration_m(rimfax, seed: int) -> float:
    """Deepest depth where the mean echo envelope (smoothed over 1 m) is above the mean
    envelope of noise alone."""
    x = sounding_distances_m(30.0, 0.1)
    ground = random_subsurface(
        rimfax.material("crater_floor"), np.random.default_rng(seed), length_m=30.0
    )
    clean = sound(rimfax, ground, x, mode="deep", permittivity=7.0)
    nothing = _flat_ground(1.0, 0.0, 0.0)
    noise = sound(
        rimfax, nothing, x[:50], mode="deep", permittivity=7.0, rng=np.random.default_rng(9)
    )
    floor = noise.envelope()[:, noise.depth_m > 5.0].mean()
    depth = clean.depth_m
    k = round(float(1.0 / (depth[1] - depth[0])))
    signal = np.convolve(clean.envelope().mean(axis=0), np.ones(k) / k, mode="same")
    return float(depth[np.flatnonzero((signal > floor) & (depth > 0.0))[-1]])


def test_penetration_on_the_crater_floor_is_about_15_m(rimfax):
    depths = [_penetration_m(rimfax, seed) for seed in range(3)]
    assert np.mean(depths) == pytest.approx(PENETRATION_M, abs=PENETRATION_TOLERANCE_M)


def test_random_ground_is_seeded_and_within_its_ranges(rimfax):
    material = rimfax.material("crater_floor")
    a = random_subsurface(material, np.random.default_rng(5), length_m=30.0)
    b = random_subsurface(material, np.random.default_rng(5), length_m=30.0)
    assert np.array_equal(a.depth_m, b.depth_m) and np.array_equal(a.dip_rad, b.dip_rad)
    assert np.all(np.abs(np.degrees(a.dip_rad)) <= MAX_DIP_DEG + 1e-9)
    assert np.all((a.permittivity >= 6.5) & (a.permittivity <= 9.0))
    x = sounding_distances_m(30.0, 0.1)
    z = a.interface_depths_m(x)
    assert z.shape == (x.size, a.depth_m.size)
    assert np.all(np.diff(z, axis=1) >= 0.0) and np.all(z >= 0.0)  # no crossings


def test_same_seed_same_radargram(rimfax):
    material = rimfax.material("crater_floor")
    x = sounding_distances_m(3.0, 0.1)
    one, two = (
        sound(
            rimfax,
            random_subsurface(material, np.random.default_rng(1), length_m=3.0),
            x,
            rng=np.random.default_rng(2),
        )
        for _ in range(2)
    )
    assert np.array_equal(one.amplitude, two.amplitude)


def test_products_round_trip_and_leave_nothing_half_written(rimfax, tmp_path):
    x = sounding_distances_m(4.0, 0.2)
    ground = random_subsurface(
        rimfax.material("crater_floor"), np.random.default_rng(4), length_m=4.0
    )
    radargram = sound(
        rimfax, ground, x, mode="shallow", permittivity=7.0, rng=np.random.default_rng(1)
    )
    parquet = save_radargram(radargram, tmp_path / "radargram.parquet")
    png = plot_radargram(radargram, tmp_path / "radargram.png")
    back = load_radargram(parquet)
    assert np.allclose(back.amplitude, radargram.amplitude, rtol=1e-6, atol=1e-9)
    assert np.array_equal(back.time_s, radargram.time_s)
    assert np.allclose(back.depth_m, radargram.depth_m)
    assert back.permittivity == 7.0 and back.mode == "shallow"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["radargram.parquet", "radargram.png"]


def test_depth_axis_uses_the_permittivity_given(rimfax):
    x = sounding_distances_m(1.0, 0.5)
    r = sound(rimfax, _flat_ground(2.0, 0.0, 0.0), x, mode="deep", permittivity=9.0)
    # 100 ns after the surface echo is 100e-9 x (c / 3) / 2 = 4.997 m at ε = 9.
    i = int(np.searchsorted(r.time_s, r.surface_time_s + 100e-9))
    assert r.depth_m[i] == pytest.approx(4.997, abs=0.02)


def _one_line(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert message and "\n" not in message
    return message


def _edited(tmp_path, old: str, new: str) -> str:
    text = resources.files("perseverance.data.instruments").joinpath("rimfax.toml").read_text()
    assert old in text
    path = tmp_path / "rimfax.toml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("permittivity = 7.0 ", "permittivity = -7.0 ", "materials.crater_floor.permittivity = -7"),
        ("sample_interval_s = 0.25e-9", "sample_interval_s = 1.0e-9", "above the Nyquist"),
        ("high_hz = 1200.0e6", "high_hz = 100.0e6", "must be above low_hz"),
        ("sounding_interval_m = 0.1", "sounding_interval_m = 0.0", "sounding_interval_m = 0"),
        ("attenuation_db_per_m = 2.1 ", "attenuation_db_per_m = inf ", "not a finite number"),
        ("layer_permittivity_high = 9.0", "layer_permittivity_high = 6.0", "is below"),
        ("[modes.deep]", "[modes.medium]", "modes.medium"),
    ],
)
def test_bad_data_file_values_are_one_line(tmp_path, old, new, expected):
    with pytest.raises(ConfigError) as info:
        load_rimfax(_edited(tmp_path, old, new))
    message = _one_line(info)
    assert expected in message
    assert "rimfax.toml" in message


def test_bad_requests_are_one_line(rimfax):
    with pytest.raises(ScenarioError) as info:
        rimfax.mode("surface")
    assert "known modes are deep, shallow" in _one_line(info)
    with pytest.raises(ScenarioError) as info:
        sounding_distances_m(10.0, 0.0)
    assert "interval_m = 0" in _one_line(info)


def test_a_drive_is_sounded_every_interval(rimfax):
    ground, radargram = sound_drive(rimfax, np.random.default_rng(0), length_m=5.0, mode="deep")
    assert radargram.amplitude.shape[0] == 51  # every 10 cm over 5 m, both ends
    assert radargram.permittivity == rimfax.material("crater_floor").permittivity
    assert ground.depth_m.size > 10
    assert "deep, 51 soundings over 5.0 m" in repr(radargram)
