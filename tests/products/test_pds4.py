"""PDS4-style labels, read back with an outside reader (NASA's pds4-tools) and checked
against the files they describe."""

import csv
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io.wavfile
from PIL import Image

from perseverance.products import label_path, logical_identifier, write_label
from perseverance.products.pds4 import LID_MAX

pds4_tools = pytest.importorskip("pds4_tools")

#: The landing, 2021-02-18 20:55 UTC, to the microsecond.
OBSERVED = datetime(2021, 2, 18, 20, 55, 17, 250_001, tzinfo=UTC)
#: A PDS4 logical identifier: urn:nasa:pds:<bundle>:<collection>:<product>, lowercase.
LID_RE = re.compile(r"^urn:nasa:pds:[a-z0-9._-]+:[a-z0-9._-]+:[a-z0-9._-]+$")


def _label(folder: Path, rel: str, **extra: object):
    row = {"path": rel, "sol": 12, "lmst": "13:05:00", "instrument": "Test", "kind": "t"}
    written = write_label(folder, row | extra, run_id="Run-7", observed_utc=OBSERVED)
    assert written == label_path(rel) == rel + ".xml"
    assert (folder / written).is_file()
    return pds4_tools.read(str(folder / written), quiet=True)


def _check_file(structures, path: Path) -> None:
    label = structures.label
    data = path.read_bytes()
    assert label.findtext(".//File/file_name") == path.name
    assert int(label.findtext(".//File/file_size")) == len(data)
    assert label.find(".//File/file_size").get("unit") == "byte"
    assert label.findtext(".//File/md5_checksum") == hashlib.md5(data).hexdigest()


def _observed(structures) -> datetime:
    text = structures.label.findtext(".//Time_Coordinates/start_date_time")
    assert text == structures.label.findtext(".//Time_Coordinates/stop_date_time")
    assert text.endswith("Z")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_wav_samples_read_back_equal_the_file(tmp_path):
    rng = np.random.default_rng(3)
    mono = rng.integers(-32768, 32767, 4800, dtype=np.int16)
    stereo = rng.integers(-32768, 32767, (1000, 2), dtype=np.int16)
    scipy.io.wavfile.write(tmp_path / "mono.wav", 48_000, mono)
    scipy.io.wavfile.write(tmp_path / "stereo.wav", 100_000, stereo)
    for name, rate in (("mono.wav", 48_000), ("stereo.wav", 100_000)):
        s = _label(tmp_path, name)
        _check_file(s, tmp_path / name)
        read_rate, samples = scipy.io.wavfile.read(tmp_path / name)
        assert read_rate == rate
        assert s["samples"].data.dtype.itemsize == 2
        np.testing.assert_array_equal(s["samples"].data, samples)
        assert int(s.label.findtext(".//psim:sample_rate_hz")) == rate


def test_csv_table_reads_back_equal_to_the_rows(tmp_path):
    rows = [["t_s", "event", "altitude_m"], [0, "entry", 125000.5], [417, "chute", 11000.25]]
    rows += [[418 + i, f"step {i}", 10000.0 - i] for i in range(20)]
    with open(tmp_path / "events.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    s = _label(tmp_path, "events.csv")
    _check_file(s, tmp_path / "events.csv")
    table = s["events"].data
    with open(tmp_path / "events.csv", newline="") as fh:
        back = list(csv.reader(fh))
    assert list(table.dtype.names) == back[0]
    assert len(table) == len(back) - 1
    for got, want in zip(table, back[1:], strict=True):
        assert int(got["t_s"]) == int(want[0])
        assert got["event"] == want[1]
        assert float(got["altitude_m"]) == float(want[2])


def test_png_size_and_bands_come_from_the_image(tmp_path):
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "rgb.png")
    Image.fromarray(np.full((20, 30), 700, np.uint16)).save(tmp_path / "grey.png")
    for name in ("rgb.png", "grey.png"):
        s = _label(tmp_path, name, camera="NAVCAM_LEFT")
        _check_file(s, tmp_path / name)
        with Image.open(tmp_path / name) as picture:
            image = np.asarray(picture)
        bands = 1 if image.ndim == 2 else image.shape[2]
        assert int(s.label.findtext(".//psim:width_px")) == image.shape[1]
        assert int(s.label.findtext(".//psim:height_px")) == image.shape[0]
        assert int(s.label.findtext(".//psim:bands")) == bands
        assert int(s.label.findtext(".//psim:bit_depth")) == image.dtype.itemsize * 8
        assert s.label.findtext(".//Encoded_Image/encoding_standard_id") == "PNG"
        assert s.label.findtext(".//psim:camera") == "NAVCAM_LEFT"


def test_parquet_columns_and_rows_are_the_files(tmp_path):
    table = pa.table(
        {
            "time_s": np.arange(50, dtype=np.float64),
            "power": np.ones(50, np.float16),
            "ok": np.ones(50, bool),
        }
    )
    pq.write_table(table, tmp_path / "radargram.parquet")
    s = _label(tmp_path, "radargram.parquet")
    _check_file(s, tmp_path / "radargram.parquet")
    schema = pq.read_schema(tmp_path / "radargram.parquet")
    columns = s.label.findall(".//psim:Column")
    assert [c.findtext("psim:name") for c in columns] == schema.names
    assert [c.findtext("psim:data_type") for c in columns] == [str(t) for t in schema.types]
    assert int(s.label.findtext(".//psim:rows")) == table.num_rows


def test_other_files_get_size_and_checksum(tmp_path):
    (tmp_path / "summary.json").write_text('{"landed": true}\n')
    (tmp_path / "descent.mp4").write_bytes(bytes(range(256)) * 4)
    for name, standard in (("summary.json", "JSON"), ("descent.mp4", "MP4/H.264")):
        s = _label(tmp_path, name)
        _check_file(s, tmp_path / name)
        assert s.label.findtext(".//encoding_standard_id") == standard


def test_identification_and_observation_areas(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "x.png")
    s = _label(tmp_path, "x.png")
    label = s.label
    assert _observed(s) == OBSERVED
    assert label.findtext(".//Identification_Area/version_id") == "1.0"
    assert label.findtext(".//Identification_Area/product_class") == "Product_Observational"
    assert label.findtext(".//Investigation_Area/name") == "Mars 2020"
    assert label.findtext(".//Target_Identification/name") == "Mars"
    names = [c.findtext("name") for c in label.findall(".//Observing_System_Component")]
    assert names == ["Perseverance", "Test"]
    assert label.findtext(".//psim:sol") == "12"
    assert label.findtext(".//psim:lmst") == "13:05:00"


def test_observation_time_in_another_zone_is_written_in_utc(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    local = OBSERVED.astimezone(timezone(timedelta(hours=-8)))
    write_label(tmp_path, {"path": "a.json"}, run_id="r", observed_utc=local)
    s = pds4_tools.read(str(tmp_path / "a.json.xml"), quiet=True)
    assert _observed(s) == OBSERVED


def test_logical_identifiers_are_valid_and_unique_per_path():
    paths = [
        "images/sol_0001/navcam.png",
        "images/sol_0001/Navcam.png",
        "images/sol_0001/navcam png",
        "images/sol_0001.navcam.png",
        "images.sol_0001/navcam.png",
        "audio/sol_0002/a.wav",
        "audio/sol_0002/a.wav.png",
        "audio/sol_0002_/a.wav",
        "audio/sol_0002/_a.wav",
        "audio__sol_0002/a.wav",
        "x" * 400 + ".png",
        "y" * 400 + ".png",
    ]
    lids = [logical_identifier("Run 7/α", p) for p in paths]
    for lid in lids:
        assert LID_RE.match(lid), lid
        assert len(lid) <= LID_MAX
    assert len(set(lids)) == len(paths)
    assert lids[0] == "urn:nasa:pds:perseverance_sim:run_7__:images__sol_0001__navcam.png"
    assert logical_identifier("Run 7/α", paths[0]) == lids[0]


def test_same_inputs_give_the_same_label_bytes(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    first = (
        tmp_path / write_label(tmp_path, {"path": "a.json"}, run_id="r", observed_utc=OBSERVED)
    ).read_bytes()
    second = (
        tmp_path / write_label(tmp_path, {"path": "a.json"}, run_id="r", observed_utc=OBSERVED)
    ).read_bytes()
    assert first == second


def test_bad_input_says_what_is_wrong(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "x").write_text("outside the run folder")
    with pytest.raises(FileNotFoundError, match=r"missing\.png"):
        write_label(run, {"path": "missing.png"}, run_id="r", observed_utc=OBSERVED)
    for escaping in ("../x", str(tmp_path / "x"), "a/../../x"):
        with pytest.raises(ValueError, match="inside the run folder"):
            write_label(run, {"path": escaping}, run_id="r", observed_utc=OBSERVED)
    (run / "link.json").symlink_to(tmp_path / "x")
    with pytest.raises(ValueError, match="inside the run folder"):
        write_label(run, {"path": "link.json"}, run_id="r", observed_utc=OBSERVED)
    (run / "a.json").write_text("{}")
    with pytest.raises(ValueError, match="time zone"):
        write_label(run, {"path": "a.json"}, run_id="r", observed_utc=datetime(2021, 2, 18))
    (run / "fake.png").write_bytes(b"not a png at all" * 4)
    with pytest.raises(ValueError, match="not a PNG"):
        write_label(run, {"path": "fake.png"}, run_id="r", observed_utc=OBSERVED)
    assert sorted(p.name for p in run.iterdir()) == ["a.json", "fake.png", "link.json"]
