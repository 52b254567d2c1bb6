"""What a camera sees: height fields (the terrain, the crater far field), solid shapes (the
rover and the descent hardware) and translucent dust clouds, in the site's ENU frame [m].

`Scene.intersect` finds, for each ray, the nearest surface over every height field and
every shape (`imaging.shapes`; a vehicle is one `shapes.Group`): its distance, unit
normal (facing the ray), albedo (shapes only: the renderer gives the ground its soil
albedo) and a label saying what was hit (0 sky, 1 ground, 2 + i the scene's shape i).
`Scene.blocked` answers the shadow rays.

A `DustCloud` is the plume the descent engines raise near the ground: an ellipsoid of
uniformly dense dust (semi-axes radius, radius, height) whose horizontal optical depth
through its centre is ``optical_depth``. Along a ray it takes out exp(-k L) of the light
behind it (k = optical_depth / (2 radius), L the path inside it before the first
surface) and adds its own single-scattered sunlight in proportion 1 - exp(-k L). Left
out: clouds shadowing the ground and one another's order along a ray.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.imaging.hardware import rover_shapes
from perseverance.imaging.heightfield import HeightField, HeightGrid
from perseverance.imaging.mounts import VehiclePose
from perseverance.imaging.shapes import Group, Shape

__all__ = [
    "DUST_CLOUD_RGB",
    "GROUND",
    "SKY",
    "DustCloud",
    "Scene",
    "SceneHits",
    "Shape",
    "site_scene",
]

Array = NDArray[np.float64]

#: Single-scattering colour of a cloud of raised soil (E): the soil's own red-brown,
#: brighter than the soil surface because a cloud scatters forward and sideways.
DUST_CLOUD_RGB = np.array([0.55, 0.36, 0.24])
#: Label of a ray that met nothing, and of one that met a height field.
SKY, GROUND = 0, 1
#: How far a shadow ray starts off a shape's surface [m]: above rounding, below any part.
_SHAPE_BIAS_M = 1e-4


@dataclass(frozen=True)
class DustCloud:
    """A translucent ellipsoid of raised dust: ``centre_enu`` [m], horizontal semi-axis
    ``radius_m``, vertical semi-axis ``height_m``, horizontal optical depth through the
    centre ``optical_depth``."""

    centre_enu: tuple[float, float, float]
    radius_m: float
    height_m: float
    optical_depth: float

    def __post_init__(self) -> None:
        values = (*self.centre_enu, self.radius_m, self.height_m, self.optical_depth)
        if not np.isfinite(values).all() or min(self.radius_m, self.height_m) <= 0.0:
            raise ValueError(f"DustCloud needs finite positive sizes, got {self}")
        if self.optical_depth < 0.0:
            raise ValueError(f"DustCloud optical_depth {self.optical_depth} < 0")

    def path_length(self, origins: Array, directions: Array, depth: Array) -> Array:
        """Length [m] of each unit ray inside the cloud before distance ``depth``: (N,)."""
        axes = np.array([self.radius_m, self.radius_m, self.height_m])
        o = (origins - np.asarray(self.centre_enu)) / axes
        d = directions / axes
        a = np.einsum("ij,ij->i", d, d)
        b = np.einsum("ij,ij->i", o, d)
        c = np.einsum("ij,ij->i", o, o) - 1.0
        disc = b * b - a * c
        root = np.sqrt(np.maximum(disc, 0.0))
        t_in = np.maximum((-b - root) / a, 0.0)
        t_out = np.minimum((-b + root) / a, depth)
        length: Array = np.where(disc > 0.0, np.maximum(t_out - t_in, 0.0), 0.0)
        return length

    def transmittance(self, origins: Array, directions: Array, depth: Array) -> Array:
        """Fraction of the light from ``depth`` along each ray that passes the cloud: (N,)."""
        k = self.optical_depth / (2.0 * self.radius_m)
        kept: Array = np.exp(-k * self.path_length(origins, directions, depth))
        return kept


@dataclass(frozen=True)
class SceneHits:
    """Nearest surfaces of N rays: ``depth`` [m] (inf: none), unit ``normal`` (N, 3) facing
    the ray, ``albedo`` (N, 3) (a shape's; zeros on the ground and the sky) and ``label``
    (N,): `SKY`, `GROUND`, or 2 + i for the scene's shape i."""

    depth: Array
    normal: Array
    albedo: Array
    label: NDArray[np.int64]


@dataclass(frozen=True)
class Scene:
    """Height fields, shapes and dust clouds; at least one height field or shape."""

    fields: tuple[HeightField, ...] = ()
    shapes: tuple[Shape, ...] = ()
    dust: tuple[DustCloud, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.fields and not self.shapes:
            raise ValueError("a Scene needs at least one height field or shape")

    def with_shapes(self, shapes: Sequence[Shape], dust: Sequence[DustCloud] = ()) -> Scene:
        """This scene's height fields with other shapes and dust clouds (cheap: the fields
        and their pyramids are shared, not copied)."""
        return Scene(self.fields, tuple(shapes), tuple(dust))

    @property
    def shadow_bias_m(self) -> float:
        """How far a shadow ray starts off the ground [m]: a thousandth of the finest cell."""
        cells = [min(f.d_east_m, f.d_north_m) for f in self.fields]
        return 1e-3 * min(cells) if cells else _SHAPE_BIAS_M

    def intersect(self, origins: ArrayLike, directions: ArrayLike) -> SceneHits:
        """The nearest surface along each unit ray (origins, directions (N, 3) ENU [m])."""
        o = np.asarray(origins, dtype=float).reshape(-1, 3)
        d = np.asarray(directions, dtype=float).reshape(-1, 3)
        n = o.shape[0]
        depth = np.full(n, np.inf)
        normal = np.zeros((n, 3))
        albedo = np.zeros((n, 3))
        label = np.zeros(n, dtype=np.int64)
        for height_field in self.fields:
            t, nrm = height_field.intersect(o, d, t_max=depth)
            nearer = t < depth
            depth = np.where(nearer, t, depth)
            normal[nearer] = nrm[nearer]
            label[nearer] = GROUND
        for i, shape in enumerate(self.shapes):
            hits = shape.intersect(o, d)
            nearer = hits.t < depth
            if nearer.any():
                depth = np.where(nearer, hits.t, depth)
                normal[nearer] = hits.normal[nearer]
                albedo[nearer] = hits.albedo[nearer]
                label[nearer] = 2 + i
        return SceneHits(depth=depth, normal=normal, albedo=albedo, label=label)

    def blocked(self, points: Array, direction: Array) -> NDArray[np.bool_]:
        """True where the ray from each point (N, 3) along the unit ``direction`` (3,) meets
        any surface (a point in shadow when ``direction`` points to the Sun)."""
        blocked = np.zeros(points.shape[0], dtype=bool)
        surfaces: list[HeightField | Shape] = [*self.fields, *self.shapes]
        for surface in surfaces:
            open_rows = np.nonzero(~blocked)[0]
            if not open_rows.size:
                break
            some = points if open_rows.size == points.shape[0] else points[open_rows]
            toward = np.broadcast_to(direction, some.shape)
            if isinstance(surface, HeightField):
                t, _ = surface.intersect(some, toward)
            else:
                t = surface.intersect(some, np.ascontiguousarray(toward)).t
            blocked[open_rows[np.isfinite(t)]] = True
        return blocked


def site_scene(
    region: HeightGrid,
    far_field: HeightGrid | None = None,
    *,
    rover: VehiclePose | None = None,
    shapes: Sequence[Shape] = (),
    dust: Sequence[DustCloud] = (),
) -> Scene:
    """The landing region (with its rocks, on the curved Mars), the crater far field if
    given (its own heights, no rocks), the rover at ``rover`` if given (one shape, the
    scene's first: label 2), and ``shapes`` and ``dust`` on them."""
    fields = [HeightField.of(region)]
    if far_field is not None:
        fields.append(HeightField.of(far_field, rocks=False))
    solids = list(shapes)
    if rover is not None:
        solids.insert(0, Group.of(rover_shapes(rover)))
    return Scene(tuple(fields), tuple(solids), tuple(dust))
