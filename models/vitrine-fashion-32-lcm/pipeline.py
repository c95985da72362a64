"""Custom pipeline code for diffusers: the class lives in the installed `vitrine` package."""

from vitrine.diffusion.pipeline import VitrinePipeline  # noqa: F401
