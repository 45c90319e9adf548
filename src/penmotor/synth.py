"""Synthetic handwriting with known ground truth (placeholder: being written)."""
