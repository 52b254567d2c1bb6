"""Mars acoustics and the two microphones."""
