"""``python -m experiments.report MULTIRUN_DIR [--lang it|en] [--out FILE]``: write the policy report."""

from __future__ import annotations

import argparse
import sys

from abm.i18n import LANGUAGES
from experiments.report import write_report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.report", description=__doc__)
    ap.add_argument("multirun_dir", help="the sweep's directory, holding the aggregate (effects.csv, ...)")
    ap.add_argument("--lang", default="it", choices=LANGUAGES, help="language of the report (default: it)")
    ap.add_argument("--out", default=None, help="file to write (default: MULTIRUN_DIR/report.html)")
    args = ap.parse_args(argv)
    try:
        path = write_report(args.multirun_dir, args.lang, args.out)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(path.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
