"""Applications over the trained models (fer-predict)."""
