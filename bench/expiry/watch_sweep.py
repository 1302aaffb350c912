#!/usr/bin/env python3
"""Follows a sweep from a second SQLite connection with point lookups only (cheap next to the sweep itself): every
20 ms it reads ExpiredAt of eleven seeded rows spread evenly over the seeded id range. The job processes the seeded
rows in id order, and ExpiredAt holds the job's start time ("now" as the job saw it).

Usage: watch_sweep.py <db> <first id> <last id> <timeout s> <out.json>
Writes {"job_now": <epoch s>, "first_seen": ..., "done": ..., "last_pending": ..., "probes": [[id, epoch s], ...]}.
"""
import datetime
import json
import sqlite3
import sys
import time


def epoch(text: str) -> float:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp()


def main() -> None:
    db, first, last, timeout, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    probes = [first + (last - first) * i // 10 for i in range(11)]
    seen: dict[int, float] = {}
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    job_now = None
    last_pending = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = time.time()
        for pid in probes:
            if pid in seen:
                continue
            row = con.execute("select ExpiredAt from InstallLinks where Id = ?", (pid,)).fetchone()
            if row[0] is not None:
                seen[pid] = t
                if job_now is None:
                    job_now = epoch(row[0])
        if last in seen:
            break
        last_pending = t
        time.sleep(0.02)
    json.dump({"job_now": job_now, "first_seen": min(seen.values()) if seen else None, "done": seen.get(last),
               "last_pending": last_pending, "probes": sorted(seen.items())}, open(out, "w"))


if __name__ == "__main__":
    main()
