"""Every reference sheet that the code, data files and tests cite is in the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"docs/reference/([\w-]+\.md)")
#: A citation of the sheets outside the repository (spelled in two parts so that this
#: file does not match itself).
OUTSIDE = "shared" + "/reference"


def _sources() -> list[Path]:
    files = [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("src").rglob("*.toml")]
    files += [*ROOT.joinpath("tests").rglob("*.py"), ROOT / "README.md"]
    return sorted(files)


def test_cited_sheets_exist_in_the_repository():
    cited = {
        (path.relative_to(ROOT), name)
        for path in _sources()
        for name in CITED.findall(path.read_text(encoding="utf-8"))
    }
    assert cited, "nothing cites docs/reference: the pattern or the tree changed"
    missing = [(str(p), n) for p, n in cited if not (ROOT / "docs" / "reference" / n).is_file()]
    assert not missing


def test_nothing_cites_the_sheets_outside_the_repository():
    outside = [str(p.relative_to(ROOT)) for p in _sources() if OUTSIDE in p.read_text("utf-8")]
    assert not outside
