"""Analytic ray-shape intersection, batch NumPy: the hardware a camera sees as simple shapes.

Frames and units. Everything is in the site's east-north-up frame [m]. A shape is placed
by a ``centre`` (3,) and a ``rotation`` (3, 3) whose columns are the shape's local x, y, z
axes in ENU (local -> ENU: ``enu = centre + rotation @ local``). Rays are ``origins``
(N, 3) and unit ``directions`` (N, 3). A hit is a `Hits`: the distance along each ray
``t`` (N,) [m], inf where the ray misses; the unit ``normal`` (N, 3) in ENU, turned to
face the ray (flipped when a surface is met from behind or from inside, so thin shells
such as a parachute canopy are lit on both sides); the ``albedo`` (N, 3), RGB in [0, 1];
the ``emission`` (N, 3) (zeros unless a shape glows). Hits nearer than `T_MIN_M` are
ignored, so a camera on a surface does not see that surface at its own origin.

Shapes. `Sphere`; `Cylinder` (finite, capped or open); `Box` (oriented); `Cone` (a
frustum, either end capped or open); `SphericalCap` (a dome with an optional hole round
its apex: a parachute disk, a heat-shield nose); `Disc` (an annulus if it has a hole);
`Group` (a bounding sphere round other shapes, so a whole vehicle costs one test for rays
that miss it). Each primitive is a frozen dataclass with an ``albedo``: a constant RGB or
a texture, a callable from local hit points (n, 3) [m] to RGB (n, 3); ``albedo_inside``,
if given, is used where the surface is met from behind (the inside of a shell).
`cylinder_between` draws a strut, a bridle or a line between two points, no thinner than
a stated ``min_radius_m`` (so a 1 cm line can be drawn wide enough to be seen).

Speed. Every shape first rejects the rays that miss its bounding sphere (``centre``,
``radius_m``; a few array passes over the batch, all shapes of a list at once); exact
tests run only on the rays left, in the shape's local frame, from a start point moved up
to the bounding sphere so that a ray from 700 km away keeps its precision. `nearest` also
skips the rays whose nearest hit so far is closer than a shape's bounding sphere. For a
camera's rays (one origin) it first drops the shapes outside the field of view, and
cylinders and boxes drop the rays that cannot reach them (distance to the axis; heading
away from a face) before the exact test, which matters for a camera inside a vehicle's
bounding sphere (the DDC, the RUC). Arrays of 3-vectors are worked column by column:
NumPy's matmul and its broadcasts over a last axis of 3 are slow for such thin shapes.
No per-ray Python loops.

Leaves out: triangle meshes, constructive solid geometry (shapes that overlap are drawn
as their union), motion blur and transparency.

Example
-------
>>> import numpy as np
>>> ball = Sphere(centre=np.array([0.0, 10.0, 1.0]), radius_m=1.0, albedo=(0.5, 0.5, 0.5))
>>> hits = nearest([ball], np.zeros((1, 3)) + [0.0, 0.0, 1.0], np.array([[0.0, 1.0, 0.0]]))
>>> float(hits.t[0]), [float(c) for c in hits.normal[0]]
(9.0, [0.0, -1.0, 0.0])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "T_MIN_M",
    "Albedo",
    "Box",
    "Cone",
    "Cylinder",
    "Disc",
    "Group",
    "Hits",
    "Shape",
    "Sphere",
    "SphericalCap",
    "cylinder_between",
    "frame_from_axis",
    "nearest",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]
Texture: TypeAlias = Callable[[Array], Array]
Albedo: TypeAlias = tuple[float, float, float] | Texture
"""A constant RGB in [0, 1], or a texture: local hit points (n, 3) [m] -> RGB (n, 3)."""

#: Hits nearer than this along a ray are ignored [m]: a camera or a shadow ray starting on
#: a surface does not meet that surface at its own origin.
T_MIN_M = 1e-5

_IDENTITY = np.eye(3)
_NO_EMISSION = (0.0, 0.0, 0.0)
_TINY = 1e-12


@dataclass(frozen=True, eq=False)
class Hits:
    """The first hit of each of N rays; see the module docstring."""

    t: Array
    """(N,) distance along the ray [m], inf where it misses."""
    normal: Array
    """(N, 3) unit normal in ENU facing the ray (zeros where it misses)."""
    albedo: Array
    """(N, 3) RGB in [0, 1] (zeros where it misses)."""
    emission: Array
    """(N, 3) emitted radiance, in the renderer's relative units (zeros unless a shape glows)."""

    @property
    def hit(self) -> NDArray[np.bool_]:
        """(N,) True where the ray met a shape."""
        result: NDArray[np.bool_] = np.isfinite(self.t)
        return result

    @classmethod
    def miss(cls, n: int) -> Hits:
        """N rays that meet nothing."""
        return cls(np.full(n, np.inf), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros((n, 3)))


class Shape(Protocol):
    """What `nearest` takes: a bounding sphere and a batch intersection."""

    @property
    def centre(self) -> Array:
        """The bounding sphere's centre, ENU (3,) [m]."""
        ...

    @property
    def radius_m(self) -> float:
        """The bounding sphere's radius [m]: no part of the shape lies outside it."""
        ...

    def intersect(self, origins: Array, directions: Array) -> Hits:
        """The first hit of each ray (origins (N, 3) ENU [m], unit directions (N, 3))."""
        ...


def frame_from_axis(axis: ArrayLike, reference: ArrayLike | None = None) -> Array:
    """A rotation (3, 3) whose local z is the unit ``axis`` (ENU) and whose local x lies in
    the plane of the axis and ``reference`` (default: east, or north if the axis is near
    east)."""
    z = np.asarray(axis, dtype=float)
    z = z / np.linalg.norm(z)
    ref = np.array([1.0, 0.0, 0.0]) if reference is None else np.asarray(reference, float)
    x = ref - np.dot(ref, z) * z
    if np.linalg.norm(x) < 1e-6:
        ref = np.array([0.0, 1.0, 0.0]) if abs(z[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
        x = ref - np.dot(ref, z) * z
    x = x / np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


def nearest(shapes: Sequence[Shape], origins: ArrayLike, directions: ArrayLike) -> Hits:
    """The nearest hit of each ray over all ``shapes`` (origins (N, 3) ENU [m], unit
    directions (N, 3)): each shape is tried only on the rays that meet its bounding sphere
    nearer than the best hit so far."""
    o = np.ascontiguousarray(np.asarray(origins, dtype=float).reshape(-1, 3))
    d = np.ascontiguousarray(np.asarray(directions, dtype=float).reshape(-1, 3))
    return _nearest(shapes, o, d, np.full(o.shape[0], np.inf))


#: Elements of a (rays x shapes) bound-test matrix per block of rays.
_BLOCK_ELEMENTS = 1 << 20


def _in_cone(d: Array, oc: Array, radii: Array, gap2: Array) -> IntArray:
    """The shapes (centre offsets ``oc`` (m, 3) from the rays' shared origin, ``radii``,
    ``gap2`` = |oc|^2 - R^2) whose bounding spheres may meet a ray of directions ``d``:
    those round the origin, and those whose angular disc overlaps the directions' cone."""
    mean = d.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), _TINY)
    spread = float(np.arccos(np.clip(_dot(d, np.broadcast_to(mean, d.shape)).min(), -1.0, 1.0)))
    distance = np.sqrt(np.maximum(_dot(oc, oc), _TINY))
    off_axis = np.arccos(np.clip((oc @ mean) / distance, -1.0, 1.0))
    half = np.arcsin(np.clip(radii / distance, 0.0, 1.0))
    keep = (gap2 <= 0.0) | (off_axis <= spread + half + 1e-6)
    result: IntArray = np.flatnonzero(keep)
    return result


def _nearest(shapes: Sequence[Shape], o: Array, d: Array, t_best: Array) -> Hits:
    """`nearest`, keeping only hits nearer than ``t_best`` (N,) (the result's t stays inf
    where none is)."""
    n = o.shape[0]
    t = t_best.copy()
    normal = np.zeros((n, 3))
    albedo = np.zeros((n, 3))
    emission = np.zeros((n, 3))
    if not shapes or n == 0:
        return Hits(np.where(t < t_best, t, np.inf), normal, albedo, emission)
    centres = np.array([np.asarray(s.centre, dtype=float) for s in shapes])
    radii = np.array([float(s.radius_m) for s in shapes])
    shared = bool((o == o[0]).all())
    block = max(1024, _BLOCK_ELEMENTS // len(shapes))
    every = np.arange(len(shapes))
    for lo in range(0, n, block):
        ob, db = o[lo : lo + block], d[lo : lo + block]
        # Ray-to-centre distances for every (ray, shape) pair at once. A camera's rays share
        # one origin, which saves most of the work: the shapes outside the cone of the
        # block's directions (the field of view) are dropped, then a ray from outside a
        # sphere meets it if its distance along the ray to the centre, a, has
        # a^2 >= |oc|^2 - R^2 and a > 0; every ray from inside does.
        if shared:
            oc = centres - ob[0]
            gap2 = _dot(oc, oc) - radii * radii
            active = _in_cone(db, oc, radii, gap2)
            if active.size == 0:
                continue
            along = _mul(db, oc[active].T)
            g = gap2[active]
            threshold = np.where(g > 0.0, np.sqrt(np.maximum(g - 1e-9 * g, 0.0)), -np.inf)
            inside = along >= np.maximum(threshold, T_MIN_M - radii[active])
        else:
            active = every
            along = _mul(db, centres.T) - _dot(ob, db)[:, None]
            oc2 = (
                _dot(ob, ob)[:, None] - 2.0 * _mul(ob, centres.T) + _dot(centres, centres)[None, :]
            )
            miss2 = oc2 - along * along
            slack = 1e-9 * oc2 + 1e-6  # rounding of the differences above, far from the origin
            inside = (miss2 <= radii * radii + slack) & (along + radii > T_MIN_M)
        for col, j in enumerate(active):
            shape = shapes[j]
            rays = np.flatnonzero(inside[:, col])
            if rays.size == 0:
                continue
            rays = rays[along[rays, col] - radii[j] < t[lo + rays]]
            if rays.size == 0:
                continue
            at = lo + rays
            if isinstance(shape, Group):
                found = _nearest(shape.shapes, ob[rays], db[rays], t[at])
                sel = np.flatnonzero(found.hit)
                hit_t, hit_n = found.t[sel], found.normal[sel]
                hit_rgb, hit_e = found.albedo[sel], found.emission[sel]
            elif isinstance(shape, _Primitive):
                if shared:
                    keep = shape._maybe_from(ob[0], db[rays])
                    if keep is not None:
                        rays, at = rays[keep], at[keep]
                        if rays.size == 0:
                            continue
                sel, hit_t, hit_n, hit_rgb, hit_e = shape._hits(
                    ob[rays], db[rays], along[rays, col]
                )
            else:
                found = shape.intersect(ob[rays], db[rays])
                sel = np.flatnonzero(found.hit)
                hit_t, hit_n = found.t[sel], found.normal[sel]
                hit_rgb, hit_e = found.albedo[sel], found.emission[sel]
            closer = hit_t < t[at[sel]]
            if not closer.any():
                continue
            chosen = at[sel[closer]]
            t[chosen] = hit_t[closer]
            normal[chosen] = hit_n[closer]
            albedo[chosen] = hit_rgb[closer]
            emission[chosen] = hit_e[closer]
    return Hits(np.where(t < t_best, t, np.inf), normal, albedo, emission)


def _dot(a: Array, b: Array) -> Array:
    """Row-wise dot products of (n, 3) arrays (faster here than einsum or matmul)."""
    result: Array = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]
    return result


def _mul(a: Array, m: Array) -> Array:
    """``a @ m`` for a (n, 3) and m (3, k), spelt out column by column, the result laid out
    (k, n) in memory (a transposed view): NumPy's matmul and broadcasts over a last axis
    of 3 are slow for such thin shapes, and each column of the result is contiguous."""
    x, y, z = (np.ascontiguousarray(a[:, i]) for i in range(3))
    out = np.empty((m.shape[1], a.shape[0]))
    for j in range(m.shape[1]):
        out[j] = x * m[0, j] + y * m[1, j] + z * m[2, j]
    result: Array = out.T
    return result


def _in_bound(centre: Array, radius: float, o: Array, d: Array) -> tuple[IntArray, Array]:
    """Indices of the rays that meet the sphere (centre, radius) ahead of them, and the
    distance along each of those to the point nearest the centre."""
    oc = centre - o
    b = _dot(oc, d)
    miss2 = _dot(oc, oc) - b * b
    keep: IntArray = np.flatnonzero((miss2 <= radius * radius) & (b + radius > T_MIN_M))
    return keep, b[keep]


def _colour(albedo: Albedo, local_points: Array) -> Array:
    if callable(albedo):
        rgb = np.asarray(albedo(local_points), dtype=float).reshape(-1, 3)
        clipped: Array = np.clip(rgb, 0.0, 1.0)
        return clipped
    constant: Array = np.broadcast_to(np.asarray(albedo, dtype=float), local_points.shape).copy()
    return constant


def _pick(
    candidates: Sequence[tuple[Array, NDArray[np.bool_]]], t_min: Array
) -> tuple[Array, IntArray]:
    """The smallest valid candidate root above ``t_min`` per ray, and which candidate it is
    (-1 where none)."""
    ts = np.stack([np.where(ok & (t > t_min), t, np.inf) for t, ok in candidates])
    which = np.argmin(ts, axis=0)
    best = np.take_along_axis(ts, which[None, :], axis=0)[0]
    which = np.where(np.isfinite(best), which, -1)
    return best, which.astype(np.intp)


class _Primitive:
    """The shared frame: bounding test, local frame, normals facing the ray, albedo."""

    centre: Array
    rotation: Array
    albedo: Albedo
    albedo_inside: Albedo | None
    emission: tuple[float, float, float]

    def _bound(self) -> float:
        """The bounding sphere's radius [m] (each shape's ``radius_m``)."""
        raise NotImplementedError

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        """Local rays (points p, unit directions v, (n, 3)) -> (t (n,), inf where they
        miss; which surface of the shape each meets, -1 for none)."""
        raise NotImplementedError

    def _normal(self, q: Array, which: IntArray) -> Array:
        """The outward local normal (not necessarily unit) at local hit points q (n, 3) on
        the surfaces ``which``."""
        raise NotImplementedError

    def _maybe(self, p: Array, v: Array) -> NDArray[np.bool_] | None:
        """A cheap test passed by every local ray that can meet the shape (None: all)."""
        return None

    def _maybe_from(self, origin: Array, d: Array) -> NDArray[np.bool_] | None:
        """As `_maybe`, for ENU rays of directions d (n, 3) from one ``origin`` (3,)."""
        return None

    def intersect(self, origins: Array, directions: Array) -> Hits:
        o = np.asarray(origins, dtype=float).reshape(-1, 3)
        d = np.asarray(directions, dtype=float).reshape(-1, 3)
        result = Hits.miss(o.shape[0])
        rays, along = _in_bound(np.asarray(self.centre, dtype=float), self._bound(), o, d)
        if rays.size:
            sel, t, normal, rgb, glow = self._hits(o[rays], d[rays], along)
            at = rays[sel]
            result.t[at], result.normal[at], result.albedo[at] = t, normal, rgb
            result.emission[at] = glow
        return result

    def _hits(
        self, o: Array, d: Array, along: Array
    ) -> tuple[IntArray, Array, Array, Array, Array]:
        """The rays (o, d) that meet the shape, given ``along`` (the distance along each to
        the point nearest the bounding centre): (their indices, t, unit ENU normals facing
        the ray, albedo, emission)."""
        centre = np.asarray(self.centre, dtype=float)
        # Start each ray at its bounding sphere (never behind its origin) for precision.
        t0 = np.maximum(along - self._bound(), 0.0)
        rot = np.asarray(self.rotation, dtype=float)
        p = _mul(o + t0[:, None] * d - centre, rot)
        v = _mul(d, rot)
        rays = np.arange(o.shape[0])
        maybe = self._maybe(p, v)
        if maybe is not None:
            rays = np.flatnonzero(maybe)
            p, v, t0 = p[rays], v[rays], t0[rays]
        t_local, which = self._solve(p, v, T_MIN_M - t0)
        found = np.flatnonzero(np.isfinite(t_local))
        rays, t_hit, which = rays[found], t_local[found], which[found]
        local_points = p[found] + t_hit[:, None] * v[found]
        normal = _mul(self._normal(local_points, which), rot.T)
        normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), _TINY)
        behind = _dot(normal, d[rays]) > 0.0
        normal[behind] *= -1.0
        rgb = _colour(self.albedo, local_points)
        if self.albedo_inside is not None and behind.any():
            rgb[behind] = _colour(self.albedo_inside, local_points[behind])
        glow = np.broadcast_to(np.asarray(self.emission, dtype=float), normal.shape)
        return rays, t0[found] + t_hit, normal, rgb, glow


@dataclass(frozen=True, eq=False)
class Sphere(_Primitive):
    """A sphere of ``radius_m`` round ``centre``; the rotation only orients a texture."""

    centre: Array
    radius_m: float
    albedo: Albedo = (0.5, 0.5, 0.5)
    rotation: Array = field(default_factory=lambda: _IDENTITY.copy())
    albedo_inside: Albedo | None = None
    emission: tuple[float, float, float] = _NO_EMISSION

    def _bound(self) -> float:
        return self.radius_m

    def _maybe(self, p: Array, v: Array) -> NDArray[np.bool_] | None:
        b = _dot(p, v)
        result: NDArray[np.bool_] = _dot(p, p) - b * b <= self.radius_m**2
        return result

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        b = _dot(p, v)
        c = _dot(p, p) - self.radius_m**2
        disc = b * b - c
        ok = disc >= 0.0
        root = np.sqrt(np.maximum(disc, 0.0))
        return _pick([(-b - root, ok), (-b + root, ok)], t_min)

    def _normal(self, q: Array, which: IntArray) -> Array:
        return q


@dataclass(frozen=True, eq=False)
class Cylinder(_Primitive):
    """A circular cylinder along its local z, ``half_length_m`` either side of ``centre``,
    of ``section_radius_m``; with ``capped`` its two ends are closed by discs."""

    centre: Array
    rotation: Array
    section_radius_m: float
    half_length_m: float
    albedo: Albedo = (0.5, 0.5, 0.5)
    capped: bool = True
    albedo_inside: Albedo | None = None
    emission: tuple[float, float, float] = _NO_EMISSION

    @property
    def radius_m(self) -> float:
        return math.hypot(self.section_radius_m, self.half_length_m)

    def _bound(self) -> float:
        return self.radius_m

    def _maybe(self, p: Array, v: Array) -> NDArray[np.bool_] | None:
        # Every ray that meets the cylinder or its caps passes within r of the axis.
        a = v[:, 0] ** 2 + v[:, 1] ** 2
        b = p[:, 0] * v[:, 0] + p[:, 1] * v[:, 1]
        c = p[:, 0] ** 2 + p[:, 1] ** 2 - self.section_radius_m**2
        result: NDArray[np.bool_] = (b * b - a * c >= 0.0) | (a <= _TINY)
        return result

    def _maybe_from(self, origin: Array, d: Array) -> NDArray[np.bool_] | None:
        # The distance from a ray to the axis line is |d . (a x w)| / |d x a|, w = c - o.
        axis = np.asarray(self.rotation, dtype=float)[:, 2]
        k = np.cross(axis, np.asarray(self.centre, dtype=float) - origin)
        dk = d[:, 0] * k[0] + d[:, 1] * k[1] + d[:, 2] * k[2]
        da = d[:, 0] * axis[0] + d[:, 1] * axis[1] + d[:, 2] * axis[2]
        r2 = self.section_radius_m**2 * (1.0 + 1e-9)
        result: NDArray[np.bool_] = (dk * dk <= r2 * (1.0 - da * da)) | (np.abs(da) > 1.0 - 1e-9)
        return result

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        r, h = self.section_radius_m, self.half_length_m
        a = v[:, 0] ** 2 + v[:, 1] ** 2
        b = p[:, 0] * v[:, 0] + p[:, 1] * v[:, 1]
        c = p[:, 0] ** 2 + p[:, 1] ** 2 - r * r
        disc = b * b - a * c
        ok = (disc >= 0.0) & (a > _TINY)
        root = np.sqrt(np.maximum(disc, 0.0))
        safe_a = np.where(a > _TINY, a, 1.0)
        candidates = []
        for t in ((-b - root) / safe_a, (-b + root) / safe_a):
            z = p[:, 2] + t * v[:, 2]
            candidates.append((t, ok & (np.abs(z) <= h)))
        if self.capped:
            vz = np.where(np.abs(v[:, 2]) > _TINY, v[:, 2], _TINY)
            for end in (-h, h):
                t = (end - p[:, 2]) / vz
                x = p[:, 0] + t * v[:, 0]
                y = p[:, 1] + t * v[:, 1]
                candidates.append((t, x * x + y * y <= r * r))
        return _pick(candidates, t_min)

    def _normal(self, q: Array, which: IntArray) -> Array:
        side = np.column_stack([q[:, 0], q[:, 1], np.zeros(len(q))])
        ends = np.column_stack([np.zeros(len(q)), np.zeros(len(q)), np.sign(q[:, 2])])
        normal: Array = np.where((which >= 2)[:, None], ends, side)
        return normal


@dataclass(frozen=True, eq=False)
class Box(_Primitive):
    """A box with ``half_extents_m`` (3,) along its local x, y, z round ``centre``."""

    centre: Array
    rotation: Array
    half_extents_m: Array
    albedo: Albedo = (0.5, 0.5, 0.5)
    albedo_inside: Albedo | None = None
    emission: tuple[float, float, float] = _NO_EMISSION

    @property
    def radius_m(self) -> float:
        return float(np.linalg.norm(self.half_extents_m))

    def _bound(self) -> float:
        return self.radius_m

    def _maybe_from(self, origin: Array, d: Array) -> NDArray[np.bool_] | None:
        # From outside a slab of the box, only rays heading into that slab can meet it.
        rot = np.asarray(self.rotation, dtype=float)
        local = (origin - np.asarray(self.centre, dtype=float)) @ rot
        keep: NDArray[np.bool_] | None = None
        for i in np.flatnonzero(np.abs(local) > np.asarray(self.half_extents_m, dtype=float)):
            toward = -np.sign(local[i]) * (
                d[:, 0] * rot[0, i] + d[:, 1] * rot[1, i] + d[:, 2] * rot[2, i]
            )
            keep = toward > 0.0 if keep is None else keep & (toward > 0.0)
        return keep

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        half = np.asarray(self.half_extents_m, dtype=float)
        t_near = np.full(len(p), -np.inf)
        t_far = np.full(len(p), np.inf)
        for i in range(3):  # the slabs, axis by axis (1-D arrays are the fast ones)
            vi = v[:, i]
            inv = 1.0 / np.where(np.abs(vi) > _TINY, vi, _TINY)
            t1 = (-half[i] - p[:, i]) * inv
            t2 = (half[i] - p[:, i]) * inv
            np.maximum(t_near, np.minimum(t1, t2), out=t_near)
            np.minimum(t_far, np.maximum(t1, t2), out=t_far)
        ok = t_near <= t_far
        return _pick([(t_near, ok), (t_far, ok)], t_min)

    def _normal(self, q: Array, which: IntArray) -> Array:
        ratio = np.abs(q) / np.asarray(self.half_extents_m, dtype=float)
        axis = np.argmax(ratio, axis=1)
        normal = np.zeros_like(q)
        rows = np.arange(len(q))
        normal[rows, axis] = np.sign(q[rows, axis])
        return normal


@dataclass(frozen=True, eq=False)
class Cone(_Primitive):
    """A cone frustum along its local z: ``base_radius_m`` at z = -height/2 and
    ``top_radius_m`` at z = +height/2 round ``centre`` (either may be 0, a point); each end
    closed by a disc if ``base_cap`` / ``top_cap``."""

    centre: Array
    rotation: Array
    base_radius_m: float
    top_radius_m: float
    height_m: float
    albedo: Albedo = (0.5, 0.5, 0.5)
    base_cap: bool = True
    top_cap: bool = True
    albedo_inside: Albedo | None = None
    emission: tuple[float, float, float] = _NO_EMISSION

    @property
    def radius_m(self) -> float:
        return math.hypot(max(self.base_radius_m, self.top_radius_m), self.height_m / 2.0)

    def _bound(self) -> float:
        return self.radius_m

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        r0, r1, h = self.base_radius_m, self.top_radius_m, self.height_m
        k = (r1 - r0) / h
        zb = p[:, 2] + h / 2.0  # height above the base
        rb = r0 + k * zb
        a = v[:, 0] ** 2 + v[:, 1] ** 2 - k * k * v[:, 2] ** 2
        b = p[:, 0] * v[:, 0] + p[:, 1] * v[:, 1] - k * v[:, 2] * rb
        c = p[:, 0] ** 2 + p[:, 1] ** 2 - rb * rb
        linear = np.abs(a) < 1e-12
        disc = b * b - a * c
        root = np.sqrt(np.maximum(disc, 0.0))
        safe_a = np.where(linear, 1.0, a)
        safe_b = np.where(np.abs(b) > _TINY, b, _TINY)
        ok = linear | (disc >= 0.0)
        candidates = []
        for sign in (-1.0, 1.0):
            t = np.where(linear, -c / (2.0 * safe_b), (-b + sign * root) / safe_a)
            z = zb + t * v[:, 2]
            candidates.append((t, ok & (z >= 0.0) & (z <= h)))
        vz = np.where(np.abs(v[:, 2]) > _TINY, v[:, 2], _TINY)
        caps = [(-h / 2.0, r0, self.base_cap), (h / 2.0, r1, self.top_cap)]
        for end, radius, present in caps:
            t = (end - p[:, 2]) / vz
            x = p[:, 0] + t * v[:, 0]
            y = p[:, 1] + t * v[:, 1]
            candidates.append((t, np.full(len(p), present) & (x * x + y * y <= radius * radius)))
        return _pick(candidates, t_min)

    def _normal(self, q: Array, which: IntArray) -> Array:
        r0, h = self.base_radius_m, self.height_m
        k = (self.top_radius_m - r0) / h
        side = np.column_stack([q[:, 0], q[:, 1], -k * (r0 + k * (q[:, 2] + h / 2.0))])
        ends = np.column_stack(
            [np.zeros(len(q)), np.zeros(len(q)), np.where(which == 2, -1.0, 1.0)]
        )
        normal: Array = np.where((which >= 2)[:, None], ends, side)
        return normal


@dataclass(frozen=True, eq=False)
class SphericalCap(_Primitive):
    """A dome: the part of a sphere above the plane of its rim circle. ``centre`` is the
    centre of the rim circle (``rim_radius_m``), the local z points to the apex
    ``depth_m`` above it; ``hole_radius_m`` cuts a hole round the apex (a parachute's
    vent), measured across the axis. An open shell: both faces are drawn."""

    centre: Array
    rotation: Array
    rim_radius_m: float
    depth_m: float
    albedo: Albedo = (0.5, 0.5, 0.5)
    hole_radius_m: float = 0.0
    albedo_inside: Albedo | None = None
    emission: tuple[float, float, float] = _NO_EMISSION

    @property
    def sphere_radius_m(self) -> float:
        """The radius of the sphere the cap is cut from [m]."""
        return (self.rim_radius_m**2 + self.depth_m**2) / (2.0 * self.depth_m)

    @property
    def radius_m(self) -> float:
        widest = self.sphere_radius_m if self.depth_m > self.sphere_radius_m else self.rim_radius_m
        return math.hypot(widest, self.depth_m)

    def _bound(self) -> float:
        return self.radius_m

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        big_r = self.sphere_radius_m
        s = p - np.array([0.0, 0.0, self.depth_m - big_r])
        b = _dot(s, v)
        c = _dot(s, s) - big_r * big_r
        disc = b * b - c
        ok = disc >= 0.0
        root = np.sqrt(np.maximum(disc, 0.0))
        candidates = []
        for t in (-b - root, -b + root):
            q = p + t[:, None] * v
            rho2 = q[:, 0] ** 2 + q[:, 1] ** 2
            candidates.append((t, ok & (q[:, 2] >= 0.0) & (rho2 >= self.hole_radius_m**2)))
        return _pick(candidates, t_min)

    def _normal(self, q: Array, which: IntArray) -> Array:
        centre: Array = q - np.array([0.0, 0.0, self.depth_m - self.sphere_radius_m])
        return centre


@dataclass(frozen=True, eq=False)
class Disc(_Primitive):
    """A flat disc in its local x-y plane round ``centre`` (normal: local z), of
    ``outer_radius_m``, with a hole of ``inner_radius_m`` (an annulus) if that is > 0."""

    centre: Array
    rotation: Array
    outer_radius_m: float
    albedo: Albedo = (0.5, 0.5, 0.5)
    inner_radius_m: float = 0.0
    albedo_inside: Albedo | None = None
    emission: tuple[float, float, float] = _NO_EMISSION

    @property
    def radius_m(self) -> float:
        return self.outer_radius_m

    def _bound(self) -> float:
        return self.radius_m

    def _solve(self, p: Array, v: Array, t_min: Array) -> tuple[Array, IntArray]:
        vz = np.where(np.abs(v[:, 2]) > _TINY, v[:, 2], _TINY)
        t = -p[:, 2] / vz
        rho2 = (p[:, 0] + t * v[:, 0]) ** 2 + (p[:, 1] + t * v[:, 1]) ** 2
        ok = (rho2 <= self.outer_radius_m**2) & (rho2 >= self.inner_radius_m**2)
        return _pick([(t, ok)], t_min)

    def _normal(self, q: Array, which: IntArray) -> Array:
        normal = np.zeros_like(q)
        normal[:, 2] = 1.0
        return normal


@dataclass(frozen=True, eq=False)
class Group:
    """Shapes behind one bounding sphere (``centre``, ``radius_m``): rays that miss it
    skip all of them. `Group.of` fits the sphere."""

    shapes: tuple[Shape, ...]
    centre: Array
    radius_m: float

    @classmethod
    def of(cls, shapes: Sequence[Shape]) -> Group:
        """A group with a bounding sphere round all of ``shapes``' bounding spheres."""
        if not shapes:
            raise ValueError("a Group needs at least one shape")
        centres = np.array([np.asarray(s.centre, float) for s in shapes])
        radii = np.array([float(s.radius_m) for s in shapes])
        lo = (centres - radii[:, None]).min(axis=0)
        hi = (centres + radii[:, None]).max(axis=0)
        middle = (lo + hi) / 2.0
        radius = float((np.linalg.norm(centres - middle, axis=1) + radii).max())
        return cls(tuple(shapes), middle, radius)

    def intersect(self, origins: Array, directions: Array) -> Hits:
        return nearest(self.shapes, origins, directions)


def cylinder_between(
    start: ArrayLike,
    end: ArrayLike,
    radius_m: float,
    albedo: Albedo = (0.5, 0.5, 0.5),
    *,
    min_radius_m: float = 0.0,
    capped: bool = True,
) -> Cylinder:
    """A cylinder from ``start`` to ``end`` (ENU, or any frame the caller then places)
    of ``radius_m``, drawn no thinner than ``min_radius_m`` (a bridle of 1 cm seen from
    20 m is under a pixel: a larger minimum keeps it visible)."""
    a = np.asarray(start, dtype=float)
    b = np.asarray(end, dtype=float)
    axis = b - a
    length = float(np.linalg.norm(axis))
    if length <= 0.0:
        raise ValueError("cylinder_between needs two distinct points")
    return Cylinder(
        centre=(a + b) / 2.0,
        rotation=frame_from_axis(axis),
        section_radius_m=max(radius_m, min_radius_m),
        half_length_m=length / 2.0,
        albedo=albedo,
        capped=capped,
    )
