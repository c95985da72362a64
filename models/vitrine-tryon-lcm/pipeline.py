"""Custom pipeline code for diffusers: the class lives in the installed `vitrine` package."""

from vitrine.tryon.pipeline import TryOnPipeline  # noqa: F401
