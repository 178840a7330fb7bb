"""Training pipeline: configuration, data preparation and fine-tuning."""
