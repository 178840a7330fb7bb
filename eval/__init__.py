"""Evaluation: metrics (local `evaluate` modules), baselines, calibration and reports."""
