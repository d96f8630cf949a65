"""Runs, sweeps, aggregation and reports."""

import os

# Arrow's default allocator (mimalloc) keeps 20-30 MB of arenas after writing a few small parquet tables;
# the system allocator does not (docs/PERFORMANCE.md, "Memory").  It must be chosen before pyarrow is first
# imported (pandas imports it, and Mesa imports pandas); a value set by the user wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
