"""Scoring a model: metrics, predictions, baselines and slices, latency, significance, the gate."""
