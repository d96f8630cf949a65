"""Calibration of the model against published targets with ABC-SMC (pyabc); the entry is
:mod:`experiments.calibrate` (``python -m experiments.calibrate``), the method is in docs/CALIBRATION.md."""
