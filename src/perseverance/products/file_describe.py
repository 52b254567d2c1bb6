"""What is inside a product file, read from its header only: PNG, WAV, CSV, Parquet.

Each reader looks at the few bytes that say how a file is laid out (PNG's IHDR chunk,
the WAV ``fmt `` and ``data`` chunks, Parquet's footer, a CSV's lines) and never
decodes pixel or column data, so describing a 100 kB file costs well under a
millisecond. `perseverance.products.pds4` turns these descriptions into labels.
"""

from __future__ import annotations

import csv
import io
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CsvLayout",
    "ParquetLayout",
    "PngLayout",
    "WavLayout",
    "csv_layout",
    "parquet_layout",
    "png_layout",
    "wav_layout",
]

#: The eight bytes every PNG starts with (PNG spec, W3C 2003, section 5.2). (A)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Bands (samples per pixel) of each PNG colour type (PNG spec, table 11.1). (A)
PNG_BANDS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: PNG colour types by name (PNG spec, table 11.1). (A)
PNG_COLOUR = {0: "grey", 2: "RGB", 3: "palette", 4: "grey+alpha", 6: "RGBA"}
#: WAVE format tags: integer PCM and IEEE float (Microsoft RIFF/WAVE, mmreg.h). (A)
WAVE_PCM, WAVE_FLOAT, WAVE_EXTENSIBLE = 1, 3, 0xFFFE


@dataclass(frozen=True, slots=True)
class PngLayout:
    """A PNG image's size: ``width_px`` x ``height_px``, ``bands`` samples per pixel of
    ``bit_depth`` bits, ``colour`` one of `PNG_COLOUR`."""

    width_px: int
    height_px: int
    bands: int
    bit_depth: int
    colour: str


@dataclass(frozen=True, slots=True)
class WavLayout:
    """A WAV file's samples: ``frames`` frames of ``channels`` interleaved samples at
    ``rate_hz``, stored from byte ``data_offset`` as ``bits``-bit ``encoding``
    ("pcm" or "float"), little-endian."""

    rate_hz: int
    channels: int
    bits: int
    encoding: str
    data_offset: int
    frames: int


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """A comma-separated table: ``header_bytes`` bytes of header line, then ``records``
    rows of ``fields`` (name, kind), kind "integer", "real" or "string"; lines end with
    ``line_end`` ("\\r\\n" or "\\n")."""

    header_bytes: int
    records: int
    fields: tuple[tuple[str, str], ...]
    line_end: str


@dataclass(frozen=True, slots=True)
class ParquetLayout:
    """A Parquet table's shape from its footer: ``rows`` rows, ``columns`` as (name,
    Arrow type) pairs."""

    rows: int
    columns: tuple[tuple[str, str], ...]


def png_layout(head: bytes) -> PngLayout:
    """The layout of a PNG from its first 33 bytes (signature and IHDR chunk).

    Raises ValueError when ``head`` is not the start of a PNG.
    """
    if len(head) < 33 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError("not a PNG file: no PNG signature and IHDR chunk at its start")
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    if colour not in PNG_BANDS:
        raise ValueError(f"PNG colour type {colour} is not one of {sorted(PNG_BANDS)}")
    return PngLayout(width, height, PNG_BANDS[colour], depth, PNG_COLOUR[colour])


def wav_layout(path: Path) -> WavLayout:
    """The layout of a RIFF/WAVE file from its chunk headers (the samples are not read).

    Raises ValueError when the file is not a WAVE file with ``fmt `` before ``data``.
    """
    with open(path, "rb") as fh:
        riff = fh.read(12)
        if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            raise ValueError(f"{path.name} is not a RIFF/WAVE file")
        fmt: tuple[int, int, int, int] | None = None
        while True:
            head = fh.read(8)
            if len(head) < 8:
                raise ValueError(f"{path.name} has no data chunk")
            tag, size = head[:4], struct.unpack("<I", head[4:])[0]
            if tag == b"fmt ":
                body = fh.read(size + (size & 1))
                tag_id, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
                if tag_id == WAVE_EXTENSIBLE and size >= 26:
                    tag_id = struct.unpack("<H", body[24:26])[0]
                fmt = (tag_id, channels, rate, bits)
            elif tag == b"data":
                if fmt is None:
                    raise ValueError(f"{path.name}: data chunk before fmt chunk")
                tag_id, channels, rate, bits = fmt
                if tag_id not in (WAVE_PCM, WAVE_FLOAT) or channels < 1 or bits % 8:
                    raise ValueError(f"{path.name}: WAVE format {tag_id} is not PCM or float")
                frame = channels * bits // 8
                return WavLayout(
                    rate_hz=rate,
                    channels=channels,
                    bits=bits,
                    encoding="pcm" if tag_id == WAVE_PCM else "float",
                    data_offset=fh.tell(),
                    frames=size // frame,
                )
            else:
                fh.seek(size + (size & 1), io.SEEK_CUR)


def _kind(values: list[str]) -> str:
    """ "integer", "real" or "string": the narrowest PDS4 ASCII type all ``values`` fit."""
    for kind, cast in (("integer", int), ("real", float)):
        try:
            for v in values:
                cast(v)
        except ValueError:
            continue
        return kind
    return "string"


def csv_layout(data: bytes) -> CsvLayout:
    """The layout of a UTF-8 CSV file with one header line: field names, the narrowest
    type each column's values fit, the number of records.

    Raises ValueError when the file is empty, not UTF-8 or has ragged rows.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"CSV is not UTF-8 text: {exc}") from None
    first_end = text.find("\n")
    if first_end < 0:
        raise ValueError("CSV has no complete header line")
    line_end = "\r\n" if first_end > 0 and text[first_end - 1] == "\r" else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    names, body = rows[0], [r for r in rows[1:] if r]
    if any(len(r) != len(names) for r in body):
        raise ValueError(f"CSV rows do not all have the header's {len(names)} fields")
    fields = tuple((n, _kind([r[i] for r in body])) for i, n in enumerate(names))
    header_bytes = len(text[: first_end + 1].encode("utf-8"))
    return CsvLayout(header_bytes, len(body), fields, line_end)


def parquet_layout(path: Path) -> ParquetLayout:
    """The rows and columns of a Parquet file, from its footer only."""
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema()
    return ParquetLayout(meta.num_rows, tuple((f.name, str(f.type)) for f in schema))
