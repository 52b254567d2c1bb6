"""A height field: rays against a gridded surface through its max-height pyramid.

The surface is the bilinear interpolant of a regular height grid (terrain plus rocks if
given), on Mars' curve if asked. Rays march through a max-height pyramid (a quadtree of
cell maxima, level 0 being each grid cell's highest corner): a ray that stays above a
cell's maximum skips the whole cell and climbs a level, one that may touch it descends,
and in a level-0 cell the ray meets the bilinear patch where a quadratic in the ray
parameter vanishes, solved in closed form (exact, so no bisection is needed). Rays start
at level 0 (a camera sits near the ground) and climb as they advance. All work is array
operations over the rays; only the march steps loop. Left out: refraction (rays are
straight) and surface detail finer than the grid.

Frame: the site's local east-north-up frame [m], as `imaging.camera_model` gives rays.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.mars.constants import R_MARS

__all__ = ["HeightField", "HeightGrid"]

Array = NDArray[np.float64]


class HeightGrid(Protocol):
    """What `HeightField.of` reads: a `LandingRegion` or any grid with these arrays."""

    @property
    def east_m(self) -> NDArray[np.float64]: ...
    @property
    def north_m(self) -> NDArray[np.float64]: ...
    @property
    def elevation_m(self) -> NDArray[np.float64]: ...
    @property
    def rock_height_m(self) -> NDArray[np.float64]: ...


class HeightField:
    """A bilinear surface over a regular grid, with its max-height pyramid.

    ``east_m``, ``north_m``: ascending, evenly spaced node coordinates [m];
    ``elevation_m``: heights [m] indexed [north, east]; ``rock_height_m``, if given, is
    added on top (same shape). With ``planet_radius_m`` the heights are above a sphere of
    that radius touching the frame's origin, not above its plane: the ground at distance
    r from the origin drops by r^2 / 2R (9.4 m at 8 km on Mars), which puts the horizon of
    a 2 m high camera about 3.7 km away.
    """

    def __init__(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        elevation_m: ArrayLike,
        rock_height_m: ArrayLike | None = None,
        planet_radius_m: float | None = None,
    ) -> None:
        east = np.asarray(east_m, dtype=float)
        north = np.asarray(north_m, dtype=float)
        height = np.array(elevation_m, dtype=float)
        if rock_height_m is not None:
            height = height + np.asarray(rock_height_m, dtype=float)
        if planet_radius_m is not None:
            height = height - (east[None, :] ** 2 + north[:, None] ** 2) / (2.0 * planet_radius_m)
        if height.shape != (north.size, east.size) or min(height.shape) < 2:
            raise ValueError(
                f"elevation_m has shape {height.shape}; expected (north, east) = "
                f"({north.size}, {east.size}), at least 2 x 2"
            )
        self.east0_m = float(east[0])
        self.north0_m = float(north[0])
        self.d_east_m = float(east[1] - east[0])
        self.d_north_m = float(north[1] - north[0])
        self.height_m = height
        self.n_north, self.n_east = height.shape
        self._flat = height.ravel()
        self.z_min_m = float(height.min())
        self.z_max_m = float(height.max())
        self._build_pyramid()

    @classmethod
    def of(cls, grid: HeightGrid, *, rocks: bool = True, curved: bool = True) -> HeightField:
        """The surface of a `LandingRegion` (or like grid) round the origin of its frame (the
        landing site), with its rocks and on the curved Mars (`R_MARS`) unless told not."""
        rock = grid.rock_height_m if rocks else None
        radius = R_MARS if curved else None
        return cls(grid.east_m, grid.north_m, grid.elevation_m, rock, planet_radius_m=radius)

    def _build_pyramid(self) -> None:
        h = self.height_m
        level = np.maximum(np.maximum(h[:-1, :-1], h[1:, :-1]), np.maximum(h[:-1, 1:], h[1:, 1:]))
        levels = [level]
        while level.shape != (1, 1):
            rows, cols = level.shape
            padded = np.full((rows + rows % 2, cols + cols % 2), -np.inf)
            padded[:rows, :cols] = level
            level = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2).max(
                axis=(1, 3)
            )
            levels.append(level)
        self._pyramid = np.concatenate([lv.ravel() for lv in levels])
        sizes = [lv.size for lv in levels]
        self._offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._width = np.array([lv.shape[1] for lv in levels], dtype=np.int64)
        self._rows = np.array([lv.shape[0] for lv in levels], dtype=np.int64)
        self._scale = 2.0 ** np.arange(len(levels))
        self.top_level = len(levels) - 1

    def intersect(
        self, origins: ArrayLike, directions: ArrayLike, t_max: ArrayLike | None = None
    ) -> tuple[Array, Array]:
        """First hit of each ray: distance along the unit ``directions`` [m] (inf if none)
        and the unit surface normal there (N, 3) (zeros where none).

        ``origins``, ``directions``: (N, 3) east, north, up [m]; ``t_max`` (N,) or scalar:
        look no further along each ray [m] (a nearer surface is already known there).
        """
        o = np.asarray(origins, dtype=float).reshape(-1, 3)
        d = np.asarray(directions, dtype=float).reshape(-1, 3)
        n = o.shape[0]
        # Grid coordinates: node (i, j) at (i, j); a level-0 cell spans [i, i+1] x [j, j+1].
        gx0 = (o[:, 0] - self.east0_m) / self.d_east_m
        gy0 = (o[:, 1] - self.north0_m) / self.d_north_m
        # Components under 1e-6 count as zero, so that each step of `_march` moves a ray
        # across a cell face by far more than the rounding of its grid coordinates.
        gdx = np.where(np.abs(d[:, 0]) < 1e-6, 0.0, d[:, 0]) / self.d_east_m
        gdy = np.where(np.abs(d[:, 1]) < 1e-6, 0.0, d[:, 1]) / self.d_north_m
        t_start, t_end = self._clip(gx0, gy0, o[:, 2], gdx, gdy, d[:, 2])
        if t_max is not None:
            t_end = np.minimum(t_end, t_max)
        # A ray that does not move in x (y) and lies on the map's last face: into the last cell.
        gx0 = np.where(gdx == 0.0, np.minimum(gx0, self.n_east - 1.0 - 1e-9), gx0)
        gy0 = np.where(gdy == 0.0, np.minimum(gy0, self.n_north - 1.0 - 1e-9), gy0)
        t_hit = np.full(n, np.inf)
        live = np.nonzero(t_start < t_end)[0]
        self._march(live, t_start[live], t_end[live], gx0, gy0, o[:, 2], gdx, gdy, d[:, 2], t_hit)
        return t_hit, self._normals(t_hit, gx0, gy0, gdx, gdy)

    def _clip(
        self, gx0: Array, gy0: Array, z0: Array, gdx: Array, gdy: Array, dz: Array
    ) -> tuple[Array, Array]:
        """The part of each ray inside the grid's box (and below its highest point)."""
        t_start = np.zeros_like(gx0)
        t_end = np.full_like(gx0, np.inf)
        bounds = (
            (gx0, gdx, 0.0, self.n_east - 1.0),
            (gy0, gdy, 0.0, self.n_north - 1.0),
            (z0, dz, self.z_min_m - 1.0, self.z_max_m),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            for start, step, lo, hi in bounds:
                t_lo = (lo - start) / step
                t_hi = (hi - start) / step
                inside = (start >= lo) & (start <= hi)
                flat = step == 0.0
                t_near = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(t_lo, t_hi))
                t_far = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(t_lo, t_hi))
                t_start = np.maximum(t_start, t_near)
                t_end = np.minimum(t_end, t_far)
        return t_start, t_end

    def _march(
        self,
        live: NDArray[np.intp],
        t: Array,
        t_end: Array,
        gx0_all: Array,
        gy0_all: Array,
        z0_all: Array,
        gdx_all: Array,
        gdy_all: Array,
        dz_all: Array,
        t_hit: Array,
    ) -> None:
        """Walk the pyramid for the rays ``live``; write their hit distances into t_hit."""
        gdx, gdy = gdx_all[live], gdy_all[live]
        tiny = 1e-300
        # Each ray's constants, one row each, so that dropping finished rays is one take.
        rays = np.stack(
            [
                gx0_all[live], gy0_all[live], z0_all[live], gdx, gdy, dz_all[live],
                1.0 / np.where(gdx >= 0.0, np.maximum(gdx, tiny), gdx),
                1.0 / np.where(gdy >= 0.0, np.maximum(gdy, tiny), gdy),
                gdx >= 0.0, gdy >= 0.0, t_end,
            ]
        )  # fmt: skip
        eps = 1e-5 * min(self.d_east_m, self.d_north_m)
        steps_left = 64 * (self.n_east + self.n_north)
        level = np.zeros(live.size, dtype=np.int64)
        while live.size:
            steps_left -= 1
            if steps_left < 0:
                raise RuntimeError("height-field march did not converge (a bug: please report)")
            gx0, gy0, z0, gdx, gdy, dz, inv_x, inv_y, pos_x, pos_y, t_end = rays
            scale = self._scale[level]
            width = self._width[level]
            px = gx0 + t * gdx
            py = gy0 + t * gdy
            ci = np.minimum(np.maximum(np.floor(px / scale).astype(np.int64), 0), width - 1)
            cj = np.minimum(
                np.maximum(np.floor(py / scale).astype(np.int64), 0), self._rows[level] - 1
            )
            edge_x = (ci + pos_x) * scale
            edge_y = (cj + pos_y) * scale
            t_exit = np.minimum(np.minimum((edge_x - gx0) * inv_x, (edge_y - gy0) * inv_y), t_end)
            z_low = z0 + np.where(dz < 0.0, t_exit, t) * dz
            above = z_low > self._pyramid[self._offset[level] + cj * width + ci]
            fine = np.nonzero(~above & (level == 0))[0]
            hit = np.zeros(live.size, dtype=bool)
            if fine.size:
                s = self._patch_root(
                    ci[fine], cj[fine], px[fine] - ci[fine], py[fine] - cj[fine],
                    z0[fine] + t[fine] * dz[fine], gdx[fine], gdy[fine], dz[fine],
                    t_exit[fine] - t[fine],
                )  # fmt: skip
                found = np.isfinite(s)
                t_hit[live[fine[found]]] = t[fine[found]] + s[found]
                hit[fine[found]] = True
            advance = above
            advance[fine] = True
            t = np.where(advance, np.maximum(t_exit, t) + eps, t)
            level = np.where(advance, np.minimum(level + 1, self.top_level), level - 1)
            keep = ~hit & (t < t_end)
            if not keep.all():
                live, t, level, rays = live[keep], t[keep], level[keep], rays[:, keep]

    def _corners(
        self, ci: NDArray[np.int64], cj: NDArray[np.int64]
    ) -> tuple[Array, Array, Array, Array]:
        """Bilinear coefficients a + b u + c v + e u v of level-0 cells (ci, cj)."""
        base = cj * self.n_east + ci
        h00 = self._flat[base]
        h10 = self._flat[base + 1]
        h01 = self._flat[base + self.n_east]
        h11 = self._flat[base + self.n_east + 1]
        return h00, h10 - h00, h01 - h00, h00 - h10 - h01 + h11

    def _patch_root(
        self,
        ci: NDArray[np.int64],
        cj: NDArray[np.int64],
        u0: Array,
        v0: Array,
        z: Array,
        du: Array,
        dv: Array,
        dz: Array,
        s_max: Array,
    ) -> Array:
        """Smallest s in [0, s_max] where the ray z + s dz meets the bilinear patch (inf if
        none); u0, v0 are the ray's place in the cell, du, dv its grid steps per metre."""
        a, b, c, e = self._corners(ci, cj)
        qa = -e * du * dv
        qb = dz - b * du - c * dv - e * (u0 * dv + v0 * du)
        qc = z - (a + b * u0 + c * v0 + e * u0 * v0)
        with np.errstate(divide="ignore", invalid="ignore"):
            disc = qb * qb - 4.0 * qa * qc
            q = -0.5 * (qb + np.copysign(np.sqrt(disc), qb))
            r1 = q / qa
            r2 = qc / q
        r1 = np.where((r1 >= 0.0) & (r1 <= s_max), r1, np.inf)
        r2 = np.where((r2 >= 0.0) & (r2 <= s_max), r2, np.inf)
        root = np.minimum(r1, r2)
        return np.where(qc <= 0.0, 0.0, root)

    def _normals(self, t: Array, gx0: Array, gy0: Array, gdx: Array, gdy: Array) -> Array:
        """Unit normals of the bilinear surface where the rays hit (zeros where not)."""
        normals = np.zeros((t.size, 3))
        k = np.nonzero(np.isfinite(t))[0]
        px = gx0[k] + t[k] * gdx[k]
        py = gy0[k] + t[k] * gdy[k]
        ci = np.clip(np.floor(px).astype(np.int64), 0, self.n_east - 2)
        cj = np.clip(np.floor(py).astype(np.int64), 0, self.n_north - 2)
        _, b, c, e = self._corners(ci, cj)
        slope_e = (b + e * (py - cj)) / self.d_east_m
        slope_n = (c + e * (px - ci)) / self.d_north_m
        normal = np.stack([-slope_e, -slope_n, np.ones_like(slope_e)], axis=-1)
        normals[k] = normal / np.linalg.norm(normal, axis=-1, keepdims=True)
        return normals
