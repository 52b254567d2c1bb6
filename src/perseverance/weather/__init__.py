"""MEDA's weather at Jezero: pressure, temperature, wind, vortices, humidity and dust.

May import `perseverance.mars` (the Sun: `mars.sun`), nothing higher. The front
door is `Weather` (`model`); the parameters are `params.load_meda()`.
"""

from perseverance.weather.model import QUANTITIES, SolSummary, Weather
from perseverance.weather.params import Meda, load_meda

__all__ = ["QUANTITIES", "Meda", "SolSummary", "Weather", "load_meda"]
