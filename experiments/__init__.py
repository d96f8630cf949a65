"""Runs, sweeps, aggregation and reports."""
