#!/usr/bin/env python3
"""Follows a sweep from a second database connection with point lookups only (cheap next to the sweep itself): every
20 ms it reads ExpiredAt of eleven seeded rows spread evenly over the seeded id range. The job processes the seeded
rows in id order, and ExpiredAt holds the job's start time ("now" as the job saw it).

<db> is a SQLite file, or a postgresql:// URI read through one long-lived psql process (psql answers each query on
its stdout at once; Python has no PostgreSQL driver here). Times are UTC in both.

Usage: watch_sweep.py <db> <first id> <last id> <timeout s> <out.json>
Writes {"job_now": <epoch s>, "first_seen": ..., "done": ..., "last_pending": ..., "probes": [[id, epoch s], ...]}.
"""
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import time


class Sqlite:
    def __init__(self, path: str) -> None:
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None)

    def expired_at(self, link_id: int) -> float | None:
        row = self.con.execute("select ExpiredAt from InstallLinks where Id = ?", (link_id,)).fetchone()
        if row[0] is None:
            return None
        return datetime.datetime.fromisoformat(row[0]).replace(tzinfo=datetime.timezone.utc).timestamp()


class Psql:
    def __init__(self, uri: str) -> None:
        self.proc = subprocess.Popen([os.environ.get("PSQL", "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", uri],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def expired_at(self, link_id: int) -> float | None:
        # extract(epoch) of a timestamp without time zone counts it as UTC, of a timestamptz as the instant it is.
        self.proc.stdin.write(f'select coalesce(extract(epoch from "ExpiredAt")::text, \'-\') from "InstallLinks" where "Id" = {int(link_id)};\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        if not line:
            raise RuntimeError(f"psql gave no answer for link {link_id}")
        return None if line == "-" else float(line)


def main() -> None:
    db, first, last, timeout, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    source = Psql(db) if db.startswith("postgresql://") else Sqlite(db)
    probes = [first + (last - first) * i // 10 for i in range(11)]
    seen: dict[int, float] = {}
    job_now = None
    last_pending = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = time.time()
        for pid in probes:
            if pid in seen:
                continue
            at = source.expired_at(pid)
            if at is not None:
                seen[pid] = t
                if job_now is None:
                    job_now = at
        if last in seen:
            break
        last_pending = t
        time.sleep(0.02)
    json.dump({"job_now": job_now, "first_seen": min(seen.values()) if seen else None, "done": seen.get(last),
               "last_pending": last_pending, "probes": sorted(seen.items())}, open(out, "w"))


if __name__ == "__main__":
    main()
