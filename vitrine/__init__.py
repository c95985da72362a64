"""Vitrine: recommendations and generated product images for a shop's own catalog."""

__version__ = "0.1.0"
