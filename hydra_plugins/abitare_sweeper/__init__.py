"""Hydra plugin: the sweeper of Abitare (``hydra/sweeper=abitare``), see experiments.tasks."""
