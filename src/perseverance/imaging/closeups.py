"""Close-up frames drawn procedurally: an abrasion patch, a sealed tube, a tube on the ground.

The terrain renderer's grid (metres) cannot show millimetres, so the close-ups of the
sampling and depot operations are drawn here, each over a small square of the
target seen square-on by the camera:

- `abrasion_patch`: WATSON looking down on a rock with the 5 cm abrasion patch
  (`ABRASION_DIAMETER_M`, E) ground into it. The rock is a fractal height field at
  0.1 mm scale (its relief `ROCK_RELIEF_M`, E), dusty on top; the patch is flat, a
  little below the surface, dust-free and the colour of the fresh rock (igneous: dark
  grey-green with light crystals; sedimentary: finer, paler). Lambert shading from a
  Sun at the given elevation and azimuth (in the image: azimuth 0 = up).
- `sealed_tube`: CacheCam looking into the tube end with its hermetic seal, drawn as
  shapes: the tube wall (an annulus, `TUBE_OUTER_DIAMETER_M`, E), the seal's disc with
  its rim and the activation boss in the middle, the dark caching assembly around it.
- `dropped_tube`: WATSON looking down on a tube lying on the soil at the depot
  (`TUBE_LENGTH_M`, E): a shaded capsule at an angle and its shadow on fractal soil.

What they leave out: the cameras' focus, depth of field and Bayer pattern; real
mineralogy and textures (only colour and relief statistics, estimates); the arm's
shadow; the tube's serial number and glint. Everything is deterministic for a seed.
Images are linear RGB in [0, 1], (height, width, 3), batch NumPy (no per-pixel loops).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = [
    "ABRASION_DIAMETER_M",
    "ROCK_RELIEF_M",
    "TUBE_LENGTH_M",
    "TUBE_OUTER_DIAMETER_M",
    "abrasion_patch",
    "dropped_tube",
    "sealed_tube",
]

Array = NDArray[np.float64]

#: Diameter of the abrasion patch [m] (E: "about 5 cm", the abrasion bit's patch).
ABRASION_DIAMETER_M = 0.05
#: Field of a WATSON close-up of the patch, across [m] (E: the patch and its margin).
ABRASION_FIELD_M = 0.08
#: Relief of the rock around the patch, peak to peak [m] (E).
ROCK_RELIEF_M = 0.004
#: Depth the abrasion takes the surface down [m] (E: a few mm).
ABRASION_DEPTH_M = 0.001
#: Outer diameter of a sample tube [m] (E; the core inside is ≈ 13 mm: surface.md).
TUBE_OUTER_DIAMETER_M = 0.019
#: Length of a sample tube [m] (E).
TUBE_LENGTH_M = 0.15
#: Field of a WATSON image of a dropped tube, across [m] (E).
DROPPED_FIELD_M = 0.30
#: Field of a CacheCam image of a tube end, across [m] (E).
TUBE_FIELD_M = 0.04

#: Fresh-rock colours (linear RGB, E): igneous and sedimentary interiors.
ROCK_RGB = {
    "igneous": np.array([0.16, 0.16, 0.13]),
    "sedimentary": np.array([0.36, 0.30, 0.24]),
}
#: Dust-covered surface colour (linear RGB, E; the renderer's soil).
DUST_RGB = np.array([0.30, 0.19, 0.12])
#: Tube coating and seal colours (linear RGB, E).
TUBE_RGB = np.array([0.85, 0.85, 0.82])
SEAL_RGB = np.array([0.55, 0.56, 0.58])
#: The dark inside of the caching assembly (linear RGB, E).
ASSEMBLY_RGB = np.array([0.03, 0.03, 0.035])


def _fractal(height: int, width: int, rng: np.random.Generator, octaves: int = 6) -> Array:
    """Fractal noise (height, width), zero mean, unit peak-to-peak: octaves of random grids
    upsampled bicubically, amplitude halving as the frequency doubles."""
    out = np.zeros((height, width), np.float32)
    for k in range(octaves):
        n = 2 ** (k + 2)
        grid = rng.standard_normal((n, n)).astype(np.float32)
        up = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
        out += np.asarray(up, np.float32) * 0.5**k
    result = out.astype(np.float64)
    result -= result.mean()
    span = float(np.ptp(result))
    return result / span if span > 0 else result


def _grid(height: int, width: int, field_m: float) -> tuple[Array, Array, float]:
    """Pixel-centre coordinates x (right), y (up) [m] about the centre, and the pixel size."""
    pixel = field_m / width
    x = (np.arange(width) + 0.5 - width / 2) * pixel
    y = (height / 2 - np.arange(height) - 0.5) * pixel
    xx, yy = np.meshgrid(x, y)
    return xx, yy, pixel


def _sun_vector(elevation_deg: float, azimuth_deg: float) -> Array:
    """Toward the Sun in the image frame (x right, y up, z toward the camera)."""
    el, az = math.radians(max(elevation_deg, 2.0)), math.radians(azimuth_deg)
    return np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])


def _lambert(z: Array, pixel: float, sun: Array) -> Array:
    """cos(incidence), >= 0, of the height field ``z`` [m] with pixels ``pixel`` [m]."""
    dzdy, dzdx = np.gradient(z, pixel)
    dzdy = -dzdy  # rows run down, y runs up
    norm = np.sqrt(dzdx**2 + dzdy**2 + 1.0)
    cos_in = (-dzdx * sun[0] - dzdy * sun[1] + sun[2]) / norm
    result: Array = np.clip(cos_in, 0.0, 1.0)
    return result


def abrasion_patch(
    width_px: int,
    height_px: int,
    *,
    seed: int,
    rock: str = "igneous",
    sun_elevation_deg: float = 45.0,
    sun_azimuth_deg: float = 135.0,
) -> Array:
    """WATSON's view of the abrasion patch on a rock (see the module); (H, W, 3) in [0, 1]."""
    rng = np.random.default_rng([int(seed), 1])
    x, y, pixel = _grid(height_px, width_px, ABRASION_FIELD_M)
    relief = _fractal(height_px, width_px, rng) * ROCK_RELIEF_M
    grains = _fractal(height_px, width_px, rng, octaves=8)
    r = np.hypot(x, y)
    inside = r <= ABRASION_DIAMETER_M / 2
    floor = float(relief[inside].min()) - ABRASION_DEPTH_M if inside.any() else 0.0
    z = np.where(inside, floor + 1e-5 * grains, relief)
    light = 0.15 + 0.85 * _lambert(z, pixel, _sun_vector(sun_elevation_deg, sun_azimuth_deg))
    fresh = ROCK_RGB.get(rock, ROCK_RGB["igneous"])
    speckle = np.clip(grains * (3.0 if rock == "igneous" else 1.2), -0.5, 1.5)
    crystals = fresh[None, None, :] * (1.0 + 0.6 * speckle[..., None])
    dusty = DUST_RGB[None, None, :] * (1.0 + 0.3 * grains[..., None])
    colour = np.where(inside[..., None], crystals, dusty)
    rim = np.exp(-(((r - ABRASION_DIAMETER_M / 2) / (3 * pixel)) ** 2))  # the patch's edge
    image = colour * light[..., None] * (1.0 - 0.4 * rim[..., None])
    return np.clip(1.6 * image, 0.0, 1.0)


def sealed_tube(width_px: int, height_px: int, *, seed: int) -> Array:
    """CacheCam's view into a sealed tube's end (see the module); (H, W, 3) in [0, 1]."""
    rng = np.random.default_rng([int(seed), 2])
    x, y, pixel = _grid(height_px, width_px, TUBE_FIELD_M)
    r = np.hypot(x, y)
    outer = TUBE_OUTER_DIAMETER_M / 2
    wall = 0.0015  # tube wall thickness [m] (E)
    seal_rim = outer - wall
    image = np.broadcast_to(ASSEMBLY_RGB, (height_px, width_px, 3)).copy()
    # the tube wall: a bright annulus lit from the upper left (a lamp, E)
    on_wall = (r <= outer) & (r > seal_rim)
    lamp = 0.75 + 0.25 * (-x + y) / max(outer, 1e-9)
    image[on_wall] = TUBE_RGB * np.clip(lamp[on_wall], 0.3, 1.0)[:, None]
    # the seal: a disc with a darker groove near its rim and the boss in the middle
    on_seal = r <= seal_rim
    groove = np.exp(-(((r - 0.8 * seal_rim) / (2.5 * pixel)) ** 2))
    boss = r <= 0.25 * seal_rim
    shade = 0.9 - 0.35 * groove + 0.08 * _fractal(height_px, width_px, rng, octaves=5)
    shade = np.where(boss, 1.1 - 0.6 * (r / (0.25 * seal_rim)) ** 2, shade)
    image[on_seal] = SEAL_RGB * np.clip(shade[on_seal], 0.0, 1.3)[:, None]
    result: Array = np.clip(image, 0.0, 1.0)
    return result


def dropped_tube(
    width_px: int,
    height_px: int,
    *,
    seed: int,
    angle_deg: float | None = None,
    sun_elevation_deg: float = 50.0,
    sun_azimuth_deg: float = 200.0,
) -> Array:
    """WATSON's view of a tube lying on the soil (see the module); (H, W, 3) in [0, 1].

    ``angle_deg``: the tube's axis from the image's right, counter-clockwise (default
    drawn from the seed)."""
    rng = np.random.default_rng([int(seed), 3])
    angle = math.radians(rng.uniform(0.0, 180.0) if angle_deg is None else angle_deg)
    x, y, pixel = _grid(height_px, width_px, DROPPED_FIELD_M)
    soil_z = _fractal(height_px, width_px, rng) * 0.01
    sun = _sun_vector(sun_elevation_deg, sun_azimuth_deg)
    light = 0.2 + 0.8 * _lambert(soil_z, pixel, sun)
    pebbles = _fractal(height_px, width_px, rng, octaves=8)
    image = DUST_RGB[None, None, :] * (light * (1.0 + 0.4 * pebbles))[..., None]
    radius, half = TUBE_OUTER_DIAMETER_M / 2, TUBE_LENGTH_M / 2
    c, s = math.cos(angle), math.sin(angle)

    def capsule(px: Array, py: Array) -> tuple[NDArray[np.bool_], Array]:
        along = px * c + py * s
        across = -px * s + py * c
        dist = np.hypot(np.maximum(np.abs(along) - half, 0.0), across)
        return dist <= radius, across

    # shadow: the tube moved away from the Sun by its height over tan(elevation)
    lift = radius / math.tan(math.radians(max(sun_elevation_deg, 5.0)))
    shadow, _ = capsule(x + lift * sun[0], y + lift * sun[1])
    image[shadow] *= 0.35
    on_tube, across = capsule(x, y)
    normal_up = np.sqrt(np.clip(1.0 - (across / radius) ** 2, 0.0, 1.0))
    side = across / radius
    cos_in = normal_up * sun[2] + side * (-s * sun[0] + c * sun[1])
    tube_light = 0.25 + 0.75 * np.clip(cos_in, 0.0, 1.0)
    image[on_tube] = TUBE_RGB * tube_light[on_tube][:, None]
    result: Array = np.clip(image, 0.0, 1.0)
    return result
