"""Cameras and imagery: the camera catalogue, camera geometry and the mounts that pose them."""
