"""Facial-expression augmentation-and-classification pipeline (one module per DVC stage)."""
