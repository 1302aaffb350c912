#!/usr/bin/env python3
"""Follows a sweep from a second database connection with point lookups only (cheap next to the sweep itself): every
20 ms it asks whether eleven seeded rows spread evenly over the seeded id range have lost their token hash yet. The
job processes dead links in the order of their expiry, which is the seeded rows' id order.

<db> is a SQLite file, or a postgresql:// URI read through one long-lived psql process (psql answers each query on
its stdout at once; Python has no PostgreSQL driver here).

Usage: watch_sweep.py <db> <first id> <last id> <timeout s> <out.json>
Writes {"first_seen": <epoch s>, "done": ..., "last_pending": ..., "probes": [[id, epoch s], ...]}: when the first
and the last probe were seen without a hash, and the last poll that still saw the last probe's hash.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time


class Sqlite:
    def __init__(self, path: str) -> None:
        self.con = sqlite3.connect(path, timeout=30, isolation_level=None)

    def forgotten(self, link_id: int) -> bool:
        return self.con.execute("select TokenHash is null from InstallLinks where Id = ?", (link_id,)).fetchone()[0] == 1


class Psql:
    def __init__(self, uri: str) -> None:
        self.proc = subprocess.Popen([os.environ.get("PSQL", "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", uri],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def forgotten(self, link_id: int) -> bool:
        self.proc.stdin.write(f'select "TokenHash" is null from "InstallLinks" where "Id" = {int(link_id)};\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        if not line:
            raise RuntimeError(f"psql gave no answer for link {link_id}")
        return line == "t"


def main() -> None:
    db, first, last, timeout, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    source = Psql(db) if db.startswith("postgresql://") else Sqlite(db)
    probes = [first + (last - first) * i // 10 for i in range(11)]
    seen: dict[int, float] = {}
    last_pending = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = time.time()
        for pid in probes:
            if pid not in seen and source.forgotten(pid):
                seen[pid] = t
        if last in seen:
            break
        last_pending = t
        time.sleep(0.02)
    json.dump({"first_seen": min(seen.values()) if seen else None, "done": seen.get(last),
               "last_pending": last_pending, "probes": sorted(seen.items())}, open(out, "w"))


if __name__ == "__main__":
    main()
