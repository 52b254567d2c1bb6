"""Cameras and imagery: the camera catalogue and models, the Sun, and the terrain renderer."""
