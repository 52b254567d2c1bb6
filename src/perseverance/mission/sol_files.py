"""The run folder's per-sol product folders, and their removal when a sol did not commit.

Every instrument that writes files during a sol writes them under
``runs/<id>/<product dir>/sol_NNNN/`` (`sol_dir`), one of `SOL_PRODUCT_DIRS`: the
camera images, MEDA's weather tables, the microphone recordings, the RIMFAX radargrams
and the MOXIE runs. Files and rows stay in step: a sol whose transaction rolled back
has its folders removed (`discard_sol`), and a resumed run removes the folders of every
sol after the last committed one (`remove_uncommitted`) before it flies them again.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from perseverance.errors import PerseveranceError

__all__ = [
    "AUDIO_DIR",
    "IMAGES_DIR",
    "MOXIE_DIR",
    "RIMFAX_DIR",
    "SOL_PRODUCT_DIRS",
    "WEATHER_DIR",
    "discard_sol",
    "remove_uncommitted",
    "sol_dir",
]

#: The camera images' folder in the run folder.
IMAGES_DIR = "images"
#: MEDA's per-sol weather tables.
WEATHER_DIR = "weather"
#: The microphone recordings (WAV) and their spectrograms.
AUDIO_DIR = "audio"
#: The RIMFAX radargrams.
RIMFAX_DIR = "rimfax"
#: The MOXIE runs' time series.
MOXIE_DIR = "moxie"
#: Every folder that holds per-sol products.
SOL_PRODUCT_DIRS = (IMAGES_DIR, WEATHER_DIR, AUDIO_DIR, RIMFAX_DIR, MOXIE_DIR)


def sol_dir(product_dir: str, sol: int) -> str:
    """The folder of ``sol``'s products in ``product_dir``, relative to the run folder."""
    if product_dir not in SOL_PRODUCT_DIRS:
        raise ValueError(f"{product_dir!r} is not a product folder ({', '.join(SOL_PRODUCT_DIRS)})")
    return f"{product_dir}/sol_{sol:04d}"


def discard_sol(run_folder: Path, sol: int) -> None:
    """Remove every product folder of ``sol`` (its transaction did not commit)."""
    for product_dir in SOL_PRODUCT_DIRS:
        shutil.rmtree(run_folder / sol_dir(product_dir, sol), ignore_errors=True)


def remove_uncommitted(run_folder: Path, last_committed: int | None) -> None:
    """Remove the product folders of sols after ``last_committed`` (left by a run killed
    before the sol's transaction committed); one line if one cannot be removed."""
    for product_dir in SOL_PRODUCT_DIRS:
        root = run_folder / product_dir
        if not root.is_dir():
            continue
        for folder in root.glob("sol_*"):
            with contextlib.suppress(ValueError):
                if last_committed is None or int(folder.name[4:]) > last_committed:
                    try:
                        shutil.rmtree(folder)
                    except OSError as exc:  # left there, its files would have no rows
                        raise PerseveranceError(
                            f"{folder}: cannot remove the files of an uncommitted sol "
                            f"({exc.strerror or exc})"
                        ) from None
