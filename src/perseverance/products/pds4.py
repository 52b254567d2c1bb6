"""PDS4-style XML labels beside every product file.

`write_label` writes ``<file name>.xml`` beside a product (``x.png`` -> ``x.png.xml``,
so ``x.png`` and ``x.csv`` never share a label) with the standard library's
`xml.etree.ElementTree`. A label has the Planetary Data System's PDS4 shape:

- Identification_Area: ``urn:nasa:pds:perseverance_sim:<run id>:<product id>``
  (`logical_identifier`), version 1.0, a title, the information model version;
- Observation_Area: the acquisition time (start = stop), the Mars 2020 investigation,
  the rover and the instrument, the target Mars, and in a Mission_Area the sol, LMST,
  kind, priority and camera in this simulator's local namespace (`LOCAL_NS`);
- a File_Area: the file's name, size, MD5 and creation time, and what is inside it:
  WAV samples as an ``Array_1D`` (``Array_2D`` for several channels) at the ``data``
  chunk's offset; a CSV as a ``Header`` (its first line) and a ``Table_Delimited``;
  PNG, MP4, Parquet, JSON, HTML as encoded files in a
  File_Area_Observational_Supplemental, with the image size or the Parquet columns in
  a local Discipline_Area block.

"PDS4-style": the labels are not validated against the information model's XML
schema and Schematron rules (no network here, no schema download). Known departures
from PDS4 proper: a Product_Observational needs its data in a File_Area_Observational
as arrays or tables, so PNG frames would need an Array_3D_Image and Parquet tables a
Table_Binary (we describe the files as they are and do not rewrite the data);
``Encoded_Native`` for Parquet, JSON and HTML is our stand-in for a format PDS4 does
not archive. The creation time is the simulated acquisition time, so the same run
writes the same label bytes.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from perseverance.outputs import write_atomic
from perseverance.products.file_describe import (
    csv_layout,
    parquet_layout,
    png_layout,
    wav_layout,
)

__all__ = [
    "LABEL_SUFFIX",
    "LOCAL_NS",
    "PDS_NS",
    "label_bytes",
    "label_path",
    "logical_identifier",
    "write_label",
]

#: The PDS4 common namespace. (A) PDS4 Standards Reference 1.21, section 5.
PDS_NS = "http://pds.nasa.gov/pds4/pds/v1"
#: This simulator's local namespace for what PDS4 has no class for (sol, LMST, ...). (E)
LOCAL_NS = "urn:perseverance-sim:pds4:local:v1"
#: The local namespace's prefix in the labels.
LOCAL_PREFIX = "psim"
#: The PDS4 information model the labels follow in shape (IM 1.21.0.0, 2023). (A)
INFORMATION_MODEL = "1.21.0.0"
#: Appended to a product file's name to name its label.
LABEL_SUFFIX = ".xml"
#: The bundle part of every logical identifier.
BUNDLE = "perseverance_sim"
#: The longest logical identifier PDS4 allows, characters (Standards Reference 6D.2). (A)
LID_MAX = 255
#: Characters allowed in a LID component: lowercase letters, digits, ``-._`` (SR 6D.2). (A)
_LID_CHARS = re.compile(r"[^a-z0-9._-]")
#: The context products the labels point to (PDS context registry, Mars 2020). (A)
MARS2020_LID = "urn:nasa:pds:context:investigation:mission.mars2020"
PERSEVERANCE_LID = "urn:nasa:pds:context:instrument_host:spacecraft.mars2020"
MARS_LID = "urn:nasa:pds:context:target:planet.mars"
#: PDS4 ``data_type`` of little-endian WAV samples by (encoding, bits). (A) SR 4C.
_WAV_TYPES = {
    ("pcm", 8): "UnsignedByte",
    ("pcm", 16): "SignedLSB2",
    ("pcm", 32): "SignedLSB4",
    ("float", 32): "IEEE754LSBSingle",
    ("float", 64): "IEEE754LSBDouble",
}
#: PDS4 ``data_type`` of a CSV column by the kind its values fit. (A) SR 4C.
_CSV_TYPES = {"integer": "ASCII_Integer", "real": "ASCII_Real", "string": "ASCII_String"}
#: PDS4 ``record_delimiter`` names by line ending. (A) IM 1.21 Table_Delimited.
_DELIMITERS = {"\r\n": "Carriage-Return Line-Feed", "\n": "Line-Feed"}
#: encoding_standard_id of the files kept as they are, by suffix: PNG and MP4/H.264 are
#: PDS4's own (Encoded_Image, Encoded_Video); the others are our Encoded_Native stand-in.
_ENCODED = {
    ".png": ("Encoded_Image", "PNG"),
    ".mp4": ("Encoded_Video", "MP4/H.264"),
    ".wav": ("Encoded_Audio", "WAV"),
    ".parquet": ("Encoded_Native", "Apache Parquet"),
    ".json": ("Encoded_Native", "JSON"),
    ".html": ("Encoded_Native", "HTML"),
    ".gif": ("Encoded_Image", "GIF"),
}

ET.register_namespace("", PDS_NS)
ET.register_namespace(LOCAL_PREFIX, LOCAL_NS)


def label_path(product_path: str) -> str:
    """The label's path for a product's relative posix path: ``a/x.png`` -> ``a/x.png.xml``."""
    return _relative(product_path).as_posix() + LABEL_SUFFIX


def _relative(product_path: str) -> PurePosixPath:
    """``product_path`` as a normalised relative path; ValueError if it leaves its folder."""
    rel = PurePosixPath(product_path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or rel.name in ("", "."):
        raise ValueError(
            f"product path {product_path!r} must be a file path inside the run folder "
            "(relative, without '..')"
        )
    return rel


def logical_identifier(run_id: str, product_path: str) -> str:
    """The product's PDS4 logical identifier, ``urn:nasa:pds:perseverance_sim:<run>:<id>``.

    The product id is the path with ``/`` written ``__`` when that can be read back
    (every part made of ``[a-z0-9._-]``, without ``__`` or ``..``, not starting or
    ending with ``_``); otherwise it is such a readable form followed by ``..`` and 12
    hex digits of the path's SHA-256, so two paths never share an identifier.

    >>> logical_identifier("Run-1", "images/sol_0003/navcam_l.png")
    'urn:nasa:pds:perseverance_sim:run-1:images__sol_0003__navcam_l.png'
    """
    rel = _relative(product_path)
    collection = _LID_CHARS.sub("_", run_id.lower()) or "run"
    prefix = f"urn:nasa:pds:{BUNDLE}:{collection}:"
    text = rel.as_posix()
    readable = "__".join(_LID_CHARS.sub("-", part.lower()) for part in rel.parts)
    lossless = all(
        not _LID_CHARS.search(part)
        and "__" not in part
        and ".." not in part
        and not part.startswith("_")
        and not part.endswith("_")
        for part in rel.parts
    )
    if not lossless or len(prefix) + len(readable) > LID_MAX:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        room = max(1, LID_MAX - len(prefix) - len(digest) - 2)
        readable = f"{readable[:room].rstrip('.')}..{digest}"
    return prefix + readable


def _utc_text(moment: datetime) -> str:
    """``moment`` as PDS4 UTC text, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"observed_utc {moment.isoformat()} has no time zone: pass an aware UTC "
            "datetime, e.g. datetime(..., tzinfo=datetime.UTC)"
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: str) -> ET.Element:
    """A child ``tag`` of ``parent`` in the PDS namespace (``psim:tag`` in the local one)."""
    if tag.startswith(LOCAL_PREFIX + ":"):
        qname = f"{{{LOCAL_NS}}}{tag.split(':', 1)[1]}"
    else:
        qname = f"{{{PDS_NS}}}{tag}"
    child = ET.SubElement(parent, qname, attrib)
    if text is not None:
        child.text = str(text)
    return child


def _reference(parent: ET.Element, lid: str, kind: str) -> None:
    ref = _sub(parent, "Internal_Reference")
    _sub(ref, "lid_reference", lid)
    _sub(ref, "reference_type", kind)


def _identification(root: ET.Element, product: Mapping[str, Any], lid: str) -> None:
    area = _sub(root, "Identification_Area")
    _sub(area, "logical_identifier", lid)
    _sub(area, "version_id", "1.0")
    instrument = product.get("instrument") or "Perseverance"
    title = product.get("name") or PurePosixPath(str(product["path"])).name
    _sub(area, "title", f"Mars 2020 simulated {instrument}: {title}")
    _sub(area, "information_model_version", INFORMATION_MODEL)
    _sub(area, "product_class", "Product_Observational")


def _observation(root: ET.Element, product: Mapping[str, Any], observed: str) -> ET.Element:
    area = _sub(root, "Observation_Area")
    times = _sub(area, "Time_Coordinates")
    _sub(times, "start_date_time", observed)
    _sub(times, "stop_date_time", observed)
    investigation = _sub(area, "Investigation_Area")
    _sub(investigation, "name", "Mars 2020")
    _sub(investigation, "type", "Mission")
    _reference(investigation, MARS2020_LID, "data_to_investigation")
    system = _sub(area, "Observing_System")
    host = _sub(system, "Observing_System_Component")
    _sub(host, "name", "Perseverance")
    _sub(host, "type", "Host")
    _reference(host, PERSEVERANCE_LID, "is_instrument_host")
    if product.get("instrument"):
        instrument = _sub(system, "Observing_System_Component")
        _sub(instrument, "name", product["instrument"])
        _sub(instrument, "type", "Instrument")
    target = _sub(area, "Target_Identification")
    _sub(target, "name", "Mars")
    _sub(target, "type", "Planet")
    _reference(target, MARS_LID, "data_to_target")
    mission = _sub(_sub(area, "Mission_Area"), "psim:Product_Context")
    for key in ("sol", "lmst", "kind", "priority", "camera", "name"):
        if product.get(key) is not None:
            _sub(mission, f"psim:{key}", product[key])
    return area


def _file(area: ET.Element, path: Path, data: bytes, created: str) -> None:
    entry = _sub(area, "File")
    _sub(entry, "file_name", path.name)
    _sub(entry, "creation_date_time", created)
    _sub(entry, "file_size", len(data), unit="byte")
    _sub(entry, "md5_checksum", hashlib.md5(data, usedforsecurity=False).hexdigest())


def _encoded(root: ET.Element, path: Path, data: bytes, created: str, suffix: str) -> None:
    """A supplemental file area holding the whole file as one encoded object."""
    area = _sub(root, "File_Area_Observational_Supplemental")
    _file(area, path, data, created)
    cls, standard = _ENCODED.get(suffix, ("Encoded_Native", "unknown"))
    obj = _sub(area, cls)
    _sub(obj, "offset", 0, unit="byte")
    _sub(obj, "object_length", len(data), unit="byte")
    _sub(obj, "encoding_standard_id", standard)


def _wav(root: ET.Element, path: Path, data: bytes, created: str) -> ET.Element:
    layout = wav_layout(path)
    area = _sub(root, "File_Area_Observational")
    _file(area, path, data, created)
    dtype = _WAV_TYPES.get((layout.encoding, layout.bits))
    if dtype is None:
        raise ValueError(
            f"{path.name}: {layout.bits}-bit {layout.encoding} samples have no PDS4 data type"
        )
    array = _sub(area, "Array_1D" if layout.channels == 1 else "Array_2D")
    _sub(array, "name", "samples")
    _sub(array, "offset", layout.data_offset, unit="byte")
    _sub(array, "axes", 1 if layout.channels == 1 else 2)
    _sub(array, "axis_index_order", "Last Index Fastest")
    _sub(array, "description", f"{layout.channels} channel(s) at {layout.rate_hz} Hz")
    _sub(_sub(array, "Element_Array"), "data_type", dtype)
    axes = [("Time", layout.frames)]
    if layout.channels > 1:
        axes.append(("Channel", layout.channels))
    for number, (name, elements) in enumerate(axes, start=1):
        axis = _sub(array, "Axis_Array")
        _sub(axis, "axis_name", name)
        _sub(axis, "elements", elements)
        _sub(axis, "sequence_number", number)
    block = _sub(ET.Element("x"), "psim:Audio")
    _sub(block, "psim:sample_rate_hz", layout.rate_hz)
    _sub(block, "psim:channels", layout.channels)
    _sub(block, "psim:bits_per_sample", layout.bits)
    return block


def _csv(root: ET.Element, path: Path, data: bytes, created: str) -> None:
    layout = csv_layout(data)
    area = _sub(root, "File_Area_Observational")
    _file(area, path, data, created)
    header = _sub(area, "Header")
    _sub(header, "name", "column names")
    _sub(header, "offset", 0, unit="byte")
    _sub(header, "object_length", layout.header_bytes, unit="byte")
    _sub(header, "parsing_standard_id", "UTF-8 Text")
    table = _sub(area, "Table_Delimited")
    _sub(table, "name", path.stem)
    _sub(table, "offset", layout.header_bytes, unit="byte")
    _sub(table, "parsing_standard_id", "PDS DSV 1")
    _sub(table, "records", layout.records)
    _sub(table, "record_delimiter", _DELIMITERS[layout.line_end])
    _sub(table, "field_delimiter", "Comma")
    record = _sub(table, "Record_Delimited")
    _sub(record, "fields", len(layout.fields))
    _sub(record, "groups", 0)
    for number, (name, kind) in enumerate(layout.fields, start=1):
        field = _sub(record, "Field_Delimited")
        _sub(field, "name", name)
        _sub(field, "field_number", number)
        _sub(field, "data_type", _CSV_TYPES[kind])


def _png_block(data: bytes) -> ET.Element:
    layout = png_layout(data[:33])
    block = _sub(ET.Element("x"), "psim:Image")
    _sub(block, "psim:width_px", layout.width_px)
    _sub(block, "psim:height_px", layout.height_px)
    _sub(block, "psim:bands", layout.bands)
    _sub(block, "psim:bit_depth", layout.bit_depth)
    _sub(block, "psim:colour", layout.colour)
    return block


def _parquet_block(path: Path) -> ET.Element:
    # PDS4 proper would need a Table_Binary over decoded rows; we list the columns only.
    layout = parquet_layout(path)
    block = _sub(ET.Element("x"), "psim:Parquet_Table")
    _sub(block, "psim:rows", layout.rows)
    _sub(block, "psim:columns", len(layout.columns))
    for number, (name, dtype) in enumerate(layout.columns, start=1):
        column = _sub(block, "psim:Column")
        _sub(column, "psim:column_number", number)
        _sub(column, "psim:name", name)
        _sub(column, "psim:data_type", dtype)
    return block


def label_bytes(
    folder: Path, product: Mapping[str, Any], *, run_id: str, observed_utc: datetime
) -> bytes:
    """The label of one product file (see `write_label`), as UTF-8 XML bytes."""
    rel = _relative(str(product["path"]))
    path = folder / rel
    if not path.is_file():
        raise FileNotFoundError(f"no product file {rel.as_posix()} in {folder} to label")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ValueError(
            f"product path {rel.as_posix()!r} must be a file inside the run folder: "
            f"it links to {path.resolve()}"
        )
    observed = _utc_text(observed_utc)
    data = path.read_bytes()
    root = ET.Element(f"{{{PDS_NS}}}Product_Observational")
    _identification(root, product, logical_identifier(run_id, rel.as_posix()))
    observation = _observation(root, product, observed)
    suffix = path.suffix.lower()
    block: ET.Element | None = None
    if suffix == ".wav":
        block = _wav(root, path, data, observed)
    elif suffix == ".csv":
        _csv(root, path, data, observed)
    else:
        if suffix == ".png":
            block = _png_block(data)
        elif suffix == ".parquet":
            block = _parquet_block(path)
        _encoded(root, path, data, observed, suffix)
    if block is not None:
        _sub(observation, "Discipline_Area").append(block)
    ET.indent(root)
    raw: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return raw + b"\n"


def write_label(
    folder: Path, product: Mapping[str, Any], *, run_id: str, observed_utc: datetime
) -> str:
    """Write the PDS4-style label of one product file beside it, atomically; return its
    path relative to ``folder`` (posix), `label_path` of the product's.

    ``product`` is a products row (``path`` relative to ``folder``, posix; ``kind``,
    ``sol``, ``priority``, ``name``, ``instrument``, ``camera``, ``lmst`` used when
    present); ``observed_utc`` the acquisition time, a timezone-aware datetime. Raises
    FileNotFoundError when the file is missing, ValueError when its path leaves
    ``folder`` or its content does not match its suffix (a PNG that is not one, ...).
    """
    rel = label_path(str(product["path"]))
    raw = label_bytes(folder, product, run_id=run_id, observed_utc=observed_utc)
    write_atomic(folder / rel, raw)
    return rel
