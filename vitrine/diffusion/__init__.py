"""Text-to-image diffusion: noise schedules, the conditional U-Net, training and the pipeline."""
