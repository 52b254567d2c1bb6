"""Mars acoustics and the two microphones (docs/reference/instruments.md §2).

The local air as plain inputs (`mars_air`, `earth_air`), sound propagation through it
(`propagation`), the sources (`sources`), a microphone's recording of them (`record`;
`record_during_edl` says why nothing was heard during descent) and its products (WAV and
spectrogram PNG, `products`). Imports only the project's lower layers (data files,
errors, outputs): the weather model and the mission wiring sit above it.
"""

from perseverance.acoustics.microphones import Microphone, load_microphones
from perseverance.acoustics.products import read_wav, write_spectrogram, write_wav
from perseverance.acoustics.propagation import (
    Air,
    absorption_np_per_m,
    earth_air,
    impedance,
    mars_air,
    phase_speed,
    propagate,
    sound_speeds,
)
from perseverance.acoustics.recording import NoRecording, Recording, record, record_during_edl
from perseverance.acoustics.sources import (
    Ingenuity,
    LaserSpark,
    RoverDrive,
    Tone,
    WindNoise,
    moxie_compressor,
)

__all__ = [
    "Air",
    "Ingenuity",
    "LaserSpark",
    "Microphone",
    "NoRecording",
    "Recording",
    "RoverDrive",
    "Tone",
    "WindNoise",
    "absorption_np_per_m",
    "earth_air",
    "impedance",
    "load_microphones",
    "mars_air",
    "moxie_compressor",
    "phase_speed",
    "propagate",
    "read_wav",
    "record",
    "record_during_edl",
    "sound_speeds",
    "write_spectrogram",
    "write_wav",
]
