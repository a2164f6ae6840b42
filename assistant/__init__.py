"""The coach: an offline terminal music-production assistant."""

__version__ = "0.1.0"
