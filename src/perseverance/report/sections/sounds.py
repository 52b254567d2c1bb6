"""The sounds section of ``report.html``: the microphones' recordings, with players.

Each ``audio`` product is an HTML5 ``<audio>`` player linked to its WAV and its
spectrogram image linked beside it (paths relative to the run folder, like the image
gallery: not inlined, so the page stays small), captioned with its name, sol, LMST and
microphone. A failed recording shows its reason; a file missing from the folder is a
note. What the EDL microphone heard during the descent (nothing) comes from the
``edl_microphone`` event.
"""

from __future__ import annotations

from perseverance.report.html import cell, p
from perseverance.report.run_data import RunData

ANCHOR, TITLE = "sounds", "Sounds on Mars"


def render(data: RunData) -> str:
    """The recordings' players and spectrograms, or a line saying there are none."""
    out = []
    for e in data.events:
        if e.name == "edl_microphone" and isinstance(e.payload, dict):
            out.append(p(f"During the descent: {e.payload.get('reason', 'nothing heard')}."))
    audio = [x for x in data.products if x.kind == "audio"]
    if not audio:
        return "".join(out) + p("No recordings in this run.", "none")
    for x in audio:
        caption = f"{x.name or x.path} · sol {x.sol} · LMST {x.lmst or '–'} · {x.instrument}"
        if x.status != "ok":
            out.append(p(f"{caption}: not recorded ({x.reason or 'no reason given'}).", "note"))
            continue
        wav, png = data.href(x.path), data.href(x.thumbnail)
        if wav is None:
            out.append(p(f"{caption}: {x.path} is missing from the run folder.", "note"))
            continue
        image = (
            f'<img src="{png}" alt="spectrogram of {cell(x.name)}" loading="lazy">' if png else ""
        )
        out.append(
            f'<figure><audio controls preload="none" src="{wav}"></audio>{image}'
            f"<figcaption>{cell(caption)}</figcaption></figure>\n"
        )
    return "".join(out)
