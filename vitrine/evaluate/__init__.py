"""Judging generated images with an evaluator trained on real catalog photos only."""
