"""The benchmark suite: ``python -m benchmarks`` (``make bench``), one process, one run.

It measures, interleaved repetition by repetition so that machine noise cancels in the ratios:

- ``reference_us_per_agent_step``: Mesa's Boltzmann wealth model (:mod:`benchmarks.reference`), the yardstick;
- ``core_us_per_household_step`` and ``core_ratio``: the weekly schedule of the ``city_district`` preset
  at 5,000 households without indicators, and its cost over the reference;
- ``full_ratio``: the same weeks with every indicator collected, over the core step;
- ``scaling_ratio``: the core cost per household-step at 20,000 households over that at 5,000;
- ``peak_rss_mb``: the peak resident memory of one 5,000-household, 520-week run (a child process);
- ``runs_per_hour_per_core`` and ``startup_s``: whole ``python -m experiments.run`` processes of the
  default preset (acer_estate, 260 weeks), from launch to the results written, and to the first step.

Results go to ``benchmarks/results/latest.json`` with the machine's description, and to a table on the
terminal.  See docs/PERFORMANCE.md.
"""
