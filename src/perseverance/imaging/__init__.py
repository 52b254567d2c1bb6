"""Cameras and imagery: the camera catalogue, geometry and mounts, the Sun, the renderer."""
