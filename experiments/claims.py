"""Claims on runs: two sweeps on one directory never compute the same run at the same time.

A process computing a run holds an exclusive ``flock`` on ``<run dir>/.claim`` (the file also says who: pid,
host, since when).  The kernel drops the lock when the process ends, however it ends (kill -9 included), so
a claim never outlives its holder and needs no heartbeat or time-out.  On a shared file system the lock must
reach the other nodes: NFS (v4, or v3 with lockd) and Lustre mounted with ``flock`` do; where locking is not
supported the run goes ahead unclaimed, with a warning (docs/SWEEPS.md).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import sys
import time
from pathlib import Path

CLAIM = ".claim"
_warned = []


def _unsupported(e: OSError) -> bool:
    import errno

    return e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


class Claim:
    """``with Claim(run_dir) as held:`` -- ``held`` is True when this process now owns the run."""

    def __init__(self, run_dir: Path, wait: bool = False):
        self.path = Path(run_dir) / CLAIM
        self.wait = wait
        self.fd: int | None = None

    def __enter__(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            return False
        except OSError as e:
            if not _unsupported(e):
                raise
            if not _warned:
                _warned.append(True)
                print(f"warning: no file locks on {self.path.parent} ({e}): runs are not claimed, so two sweeps on "
                      f"this directory at once could compute a run twice", file=sys.stderr)
            return True
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"pid {os.getpid()} host {socket.gethostname()} since "
                          f"{dt.datetime.now().isoformat(timespec='seconds')}\n".encode())
        return True

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # drops the lock
            self.fd = None


def holder(run_dir: Path) -> str:
    """Who claimed the run last (pid, host, since), as its claim file says."""
    try:
        return (Path(run_dir) / CLAIM).read_text(encoding="utf-8").strip()
    except OSError:
        return "unknown"


def is_claimed(run_dir: Path) -> bool:
    """True when another process holds the run's claim now."""
    if not (Path(run_dir) / CLAIM).exists():
        return False
    with Claim(run_dir) as held:
        return not held


def wait_released(run_dirs: list[Path], note=None) -> float:
    """Block until no process holds a claim on any of ``run_dirs`` (their holders finished or died); the seconds waited."""
    t0 = time.monotonic()
    for d in run_dirs:
        if note is not None and is_claimed(d):
            note(f"waiting for {d.name} in {d.parent.name}: claimed by {holder(d)}")
        with Claim(d, wait=True):
            pass
    return time.monotonic() - t0
