"""The planet: constants, frames, time, gravity and atmosphere."""
