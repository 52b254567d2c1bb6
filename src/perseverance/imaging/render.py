"""Rendering: rays against a scene (terrain, far field, hardware), sunlight, shadows, dusty sky.

The renderer takes rays (origins and unit directions in the site's local east-north-up
frame [m], as a camera model gives them) and returns a linear RGB image in [0, 1] and the
distance to the ground along each ray.

Geometry: a `scene.Scene` of height fields (`heightfield.HeightField`: the terrain and
the crater far field), shapes (the rover and the descent hardware) and dust clouds, or a
single height field. Rays are handled in blocks sized to stay in the CPU caches.

Light (every figure below is an engineering estimate, (E): no published figure for the
Jezero sky radiance is held in docs/reference/):

- Soil: Lambertian, albedo `SOIL_ALBEDO_RGB`, a reddish dusty soil; shapes are Lambertian
  with their own albedo.
- Sun: irradiance on a surface of normal n is T (n . s) with the beam transmittance
  T = exp(-tau / mu), mu = sin(sun elevation), kept >= 0.03 (airmass <= 33); zero where
  the ray from the surface point toward the Sun meets the terrain or a shape (cast shadow).
- Diffuse skylight: half the light the dust takes out of the beam reaches the ground,
  mu (1 - T) / 2, over the visible sky fraction (1 + n_z) / 2.
- Sky radiance along a view direction at angle gamma from the Sun:
  mu [ (1 - e^-tau) SKY_RGB + 2 (1 - e^-tau) e^(-gamma / 10 deg) AUREOLE_RGB ],
  a butterscotch dome with a bluish forward-scattering aureole, brightest toward the Sun.
- Aerial perspective: ground light seen through distance d keeps exp(-d / L) and gains the
  sky radiance of that direction in proportion 1 - exp(-d / L), with the e-folding length
  L = `DUST_SCALE_HEIGHT_M` / tau (dust mixed evenly through the lowest scale height;
  the meteorological visibility is 3.912 L). At tau = 0.5, L = 22 km.
- Dust clouds (`scene.DustCloud`): the light from behind keeps exp(-k L) and the cloud adds
  `scene.DUST_CLOUD_RGB` lit as an upward-facing surface, in proportion 1 - exp(-k L).
- Night: with the Sun below the horizon every term is zero (no twilight, no stars).

Radiances are relative to the top-of-atmosphere solar irradiance, times `exposure`, then
clipped to [0, 1]. `to_mono`, `to_bayer` (the raw colour-filter mosaic of a Bayer camera),
`demosaic`, `to_counts` and `save_png` turn a frame into camera data.
"""

from __future__ import annotations

import io
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from perseverance.imaging.heightfield import HeightField
from perseverance.imaging.scene import DUST_CLOUD_RGB, GROUND, SKY, Scene
from perseverance.outputs import write_atomic

__all__ = [
    "AUREOLE_RGB",
    "DEFAULT_TAU",
    "DUST_SCALE_HEIGHT_M",
    "SKY_RGB",
    "SOIL_ALBEDO_RGB",
    "Frame",
    "demosaic",
    "render",
    "save_png",
    "to_bayer",
    "to_counts",
    "to_mono",
]

Array = NDArray[np.float64]

#: Dust optical depth at Jezero (E): typical of the clear season at the landing; no
#: published figure is held in docs/reference/.
DEFAULT_TAU = 0.5
#: Albedo of the soil in R, G, B (E): a dusty, reddish soil, about 0.2 broadband.
SOIL_ALBEDO_RGB = np.array([0.30, 0.19, 0.12])
#: Colour of the daytime dust sky (E): butterscotch.
SKY_RGB = np.array([0.80, 0.60, 0.42])
#: Colour of the forward-scattering aureole round the Sun (E): bluish white.
AUREOLE_RGB = np.array([0.75, 0.80, 0.90])
#: Scale height of the dust near the surface [m] (E): dust mixed with the gas, ~11 km.
DUST_SCALE_HEIGHT_M = 11_000.0

#: Rays per block: small enough for a block's arrays to stay in the CPU caches.
_CHUNK = 32_768
_MIN_MU = 0.03
_AUREOLE_WIDTH_RAD = math.radians(10.0)
_REC709 = np.array([0.2126, 0.7152, 0.0722])


@dataclass(frozen=True)
class Frame:
    """A rendered frame: ``rgb`` (..., 3) linear in [0, 1]; ``depth_m`` (...), the distance
    along each ray to the nearest surface [m] (inf for sky); ``label`` (...), what each
    ray met (`scene.SKY` 0, `scene.GROUND` 1, 2 + i the scene's shape i)."""

    rgb: Array
    depth_m: Array
    label: NDArray[np.int64]

    @property
    def hit(self) -> NDArray[np.bool_]:
        """True where the ray met the ground (a height field)."""
        ground: NDArray[np.bool_] = self.label == GROUND
        return ground

    @property
    def solid(self) -> NDArray[np.bool_]:
        """True where the ray met anything (ground or a shape)."""
        met: NDArray[np.bool_] = self.label != SKY
        return met


def _sky(directions: Array, sun: Array, tau: float) -> Array:
    """Sky radiance (N, 3) along unit ``directions`` (N, 3) (see the module docstring)."""
    mu = max(float(sun[2]), 0.0)
    gamma = np.arccos(np.clip(directions @ sun, -1.0, 1.0))
    dust = 1.0 - math.exp(-tau)
    aureole = 2.0 * dust * np.exp(-gamma / _AUREOLE_WIDTH_RAD)
    radiance: Array = mu * (dust * SKY_RGB + aureole[:, None] * AUREOLE_RGB)
    return radiance


def render(
    scene: Scene | HeightField,
    origins: ArrayLike,
    directions: ArrayLike,
    sun_enu: ArrayLike,
    *,
    tau: float = DEFAULT_TAU,
    exposure: float = 2.0,
    shape: tuple[int, ...] | None = None,
    workers: int = 1,
) -> Frame:
    """Render rays against ``scene`` lit by the Sun at ``sun_enu`` through dust of depth tau.

    ``scene``: a `Scene` or a single `HeightField`; ``origins``, ``directions``: (N, 3) or
    (..., 3) east, north, up [m] (directions are normalised here); ``sun_enu``: toward the
    Sun (e.g. `sun.SunPosition.enu`); ``shape`` reshapes the outputs, e.g. (height, width);
    ``workers`` > 1 renders blocks of rays on that many threads (NumPy releases the GIL in
    its loops). Returns a `Frame`.
    """
    world = scene if isinstance(scene, Scene) else Scene((scene,))
    o = np.asarray(origins, dtype=float).reshape(-1, 3)
    d = np.asarray(directions, dtype=float).reshape(-1, 3)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    sun = np.asarray(sun_enu, dtype=float)
    sun = sun / np.linalg.norm(sun)
    out_shape = shape if shape is not None else np.asarray(origins).shape[:-1]
    rgb = np.empty((o.shape[0], 3))
    depth = np.empty(o.shape[0])
    label = np.empty(o.shape[0], dtype=np.int64)

    def chunk(start: int) -> None:
        part = slice(start, start + _CHUNK)
        rgb[part], depth[part], label[part] = _shade(world, o[part], d[part], sun, tau)

    starts = range(0, o.shape[0], _CHUNK)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(chunk, starts))
    else:
        for start in starts:
            chunk(start)
    return Frame(
        rgb=np.clip(exposure * rgb, 0.0, 1.0).reshape(*out_shape, 3),
        depth_m=depth.reshape(out_shape),
        label=label.reshape(out_shape),
    )


def _shade(
    scene: Scene, o: Array, d: Array, sun: Array, tau: float
) -> tuple[Array, Array, NDArray[np.int64]]:
    """Radiance (N, 3) before exposure, depth (N,) and label (N,) of unit rays ``o + t d``."""
    hits = scene.intersect(o, d)
    depth = hits.depth
    rgb = _sky(d, sun, tau)
    mu = float(sun[2])
    beam = math.exp(-tau / max(mu, _MIN_MU)) if mu > 0.0 else 0.0
    k = np.nonzero(np.isfinite(depth))[0]
    if k.size and mu > 0.0:
        n = hits.normal[k]
        ground = hits.label[k] == GROUND
        albedo = np.where(ground[:, None], SOIL_ALBEDO_RGB, hits.albedo[k])
        cos_in = n @ sun
        lit_side = np.nonzero(cos_in > 0.0)[0]
        lit = np.zeros(k.size)
        if lit_side.size:
            points = o[k[lit_side]] + depth[k[lit_side], None] * d[k[lit_side]]
            bias = np.where(ground[lit_side], scene.shadow_bias_m, 1e-4)
            points = points + bias[:, None] * n[lit_side]
            lit[lit_side] = ~scene.blocked(points, sun)
        irradiance = beam * np.maximum(cos_in, 0.0) * lit
        irradiance += 0.5 * mu * (1.0 - beam) * 0.5 * (1.0 + n[:, 2])
        surface = irradiance[:, None] * albedo
        kept = np.exp(-depth[k] * tau / DUST_SCALE_HEIGHT_M)[:, None]
        rgb[k] = surface * kept + rgb[k] * (1.0 - kept)
    elif k.size:
        rgb[k] = 0.0
    if scene.dust and mu > 0.0:
        cloud_light = (beam * mu + 0.5 * mu * (1.0 - beam)) * DUST_CLOUD_RGB
        for cloud in scene.dust:
            kept_1d = cloud.transmittance(o, d, depth)
            rgb = rgb * kept_1d[:, None] + (1.0 - kept_1d)[:, None] * cloud_light
    return rgb, depth, hits.label


def to_mono(rgb: ArrayLike) -> Array:
    """Luminance of linear RGB (..., 3), Rec. 709 weights: (...)."""
    mono: Array = np.asarray(rgb, dtype=float) @ _REC709
    return mono


def to_bayer(rgb: ArrayLike) -> Array:
    """The RGGB colour-filter mosaic of linear RGB (H, W, 3): (H, W), red at even rows and
    columns, blue at odd rows and columns, green elsewhere (the Bayer pattern of the
    engineering cameras' and Mastcam-Z's detectors; the phase is our choice (E))."""
    image = np.asarray(rgb, dtype=float)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"to_bayer needs an (H, W, 3) image, got shape {image.shape}")
    mosaic: Array = image[..., 1].copy()
    mosaic[0::2, 0::2] = image[0::2, 0::2, 0]
    mosaic[1::2, 1::2] = image[1::2, 1::2, 2]
    return mosaic


def demosaic(mosaic: ArrayLike) -> Array:
    """Bilinear demosaicking of an RGGB mosaic (H, W) back to RGB (H, W, 3): each missing
    sample is the mean of its nearest neighbours of that colour (edges mirrored)."""
    from scipy.ndimage import convolve

    raw = np.asarray(mosaic, dtype=float)
    masks = np.zeros((3, *raw.shape))
    masks[0, 0::2, 0::2] = 1.0
    masks[2, 1::2, 1::2] = 1.0
    masks[1] = 1.0 - masks[0] - masks[2]
    kernel = np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])
    channels = [
        convolve(raw * m, kernel, mode="mirror") / convolve(m, kernel, mode="mirror") for m in masks
    ]
    rgb: Array = np.stack(channels, axis=-1)
    return rgb


def to_counts(image: ArrayLike, bits: int = 8) -> NDArray[np.uint8] | NDArray[np.uint16]:
    """Linear [0, 1] values as integer counts 0 .. 2**bits - 1 (uint8 to 8 bits, else uint16)."""
    if not 1 <= bits <= 16:
        raise ValueError(f"bits = {bits}: a camera gives 1 to 16 bits")
    counts: Array = np.rint(np.clip(np.asarray(image, dtype=float), 0.0, 1.0) * (2**bits - 1))
    return counts.astype(np.uint8) if bits <= 8 else counts.astype(np.uint16)


def save_png(path: str | os.PathLike[str], image: ArrayLike, bits: int = 8) -> None:
    """Write a linear [0, 1] image (H, W) mono or (H, W, 3) RGB as a PNG of ``bits`` bits.

    RGB is written at 8 bits only. Mono is an 8-bit PNG up to 8 bits, else a 16-bit one;
    the counts are shifted to the top bits (a 12-bit count c is stored as 16 c), so
    viewers show the image at its brightness.
    """
    data = np.asarray(image, dtype=float)
    if data.ndim == 3 and bits != 8:
        raise ValueError(f"bits = {bits}: RGB PNGs are written at 8 bits; use to_mono")
    container = 8 if bits <= 8 else 16
    counts = to_counts(data, bits) << (container - bits)
    encoded = io.BytesIO()
    Image.fromarray(counts).save(encoded, format="PNG")
    write_atomic(Path(path), encoded.getvalue())  # all of it or nothing
