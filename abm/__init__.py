"""Abitare: an agent-based simulator of collaborative neighbourhood living."""

__version__ = "0.1.0"
