"""Recommendation: split protocols, metrics, baselines and the multimodal model."""
