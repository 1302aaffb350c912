#!/usr/bin/env python3
"""Load in one-second slices: runs `wrk -t2 -c16 -d1s` (with hist.lua) back to back and records each slice's wall-clock
window and raw latency histogram, so a percentile can be taken over exactly the slices that fall inside the sweep.

  slices.py run <url> <out.jsonl> <stop file> <max slices>
  slices.py p99 <slices.jsonl> [<from epoch s> <to epoch s>]   prints "p50_ms p99_ms req_per_s requests errors non2xx slices"
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(url: str, out: str, stop: str, max_slices: int) -> None:
    with open(out, "w") as f:
        for _ in range(max_slices):
            if os.path.exists(stop):
                break
            start = time.time()
            text = subprocess.run(["wrk", "-t2", "-c16", "-d1s", "--latency", "-s", os.path.join(HERE, "hist.lua"), url],
                                  check=True, capture_output=True, text=True).stdout
            end = time.time()
            record = {"start": start, "end": end}
            for line in text.splitlines():
                if line.startswith("SLICE "):
                    record.update({k: int(v) for k, v in (p.split("=") for p in line.split()[1:])})
                elif line.startswith("HIST "):
                    record["hist"] = [[int(v) for v in p.split(":")] for p in line.split()[1:]]
            f.write(json.dumps(record) + "\n")
            f.flush()


def percentile(hist: dict[int, int], p: float) -> int:
    total = sum(hist.values())
    target = total * p / 100
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= target:
            return value
    return 0


def summary(path: str, lo: float | None, hi: float | None) -> None:
    records = [json.loads(line) for line in open(path)]
    if lo is not None:
        records = [r for r in records if r["start"] >= lo and r["end"] <= hi]
    hist: dict[int, int] = {}
    for r in records:
        for value, count in r["hist"]:
            hist[value] = hist.get(value, 0) + count
    seconds = sum(r["duration_us"] for r in records) / 1e6
    requests = sum(r["requests"] for r in records)
    print(f"{percentile(hist, 50) / 1000:.2f} {percentile(hist, 99) / 1000:.2f} {requests / seconds if seconds else 0:.0f}"
          f" {requests} {sum(r['errors'] for r in records)} {sum(r['non2xx'] for r in records)} {len(records)}")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        summary(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else None, float(sys.argv[4]) if len(sys.argv) > 4 else None)
