#!/usr/bin/env python3
"""Prints the comparison table of run.sh from BenchmarkDotNet's JSON report and plistlib_bench.py's JSON output."""
import json
import re
import sys
from pathlib import Path

PARSE_GOAL = 5.0  # our binary parse at least this many times faster than plistlib
ALLOCATION_GOAL = 3.0  # bytes allocated by a parse below this multiple of the input's size


def main(bdn_report, python_results, inputs):
    ours = {}
    for b in json.loads(Path(bdn_report).read_text())["Benchmarks"]:
        name = re.search(r'Input: "([^"]+)"', b["FullName"]).group(1)
        # DisplayInfo reads "PlistBenchmarks.Parse: ServerGC(Server=True, ...) [Input=...]".
        job = re.search(r": (\w+)\(", b["DisplayInfo"]).group(1)
        ours[(name, b["Method"], job)] = (b["Statistics"]["Mean"], b["Memory"]["BytesAllocatedPerOperation"])
    theirs = {(r["input"], r["op"]): r for r in json.loads(Path(python_results).read_text())["results"]}

    print("| Input | Size | Operation | GC | ChatOpsBot mean | Allocated / op | Allocated / input | plistlib mean (best) | plistlib / ChatOpsBot |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    verdicts = []
    for (name, op, job), (mean_ns, allocated) in sorted(ours.items()):
        size = (Path(inputs) / name).stat().st_size
        py = theirs[(name, op)]
        speedup = py["mean_ns"] / mean_ns
        alloc_ratio = allocated / size
        print(f"| {name} | {size:,} B | {op} | {job} | {fmt(mean_ns)} | {allocated:,} B | {alloc_ratio:.2f}x "
              f"| {fmt(py['mean_ns'])} ({fmt(py['best_ns'])}) | {speedup:.1f}x |")
        if op == "Parse":
            if ".binary." in name:
                verdicts.append(f"{job} binary parse of {name}: {speedup:.1f}x plistlib "
                                f"({'meets' if speedup >= PARSE_GOAL else 'MISSES'} the {PARSE_GOAL:g}x goal)")
            verdicts.append(f"{job} parse of {name} allocates {alloc_ratio:.2f}x its size "
                            f"({'meets' if alloc_ratio < ALLOCATION_GOAL else 'MISSES'} the < {ALLOCATION_GOAL:g}x goal)")
    print()
    for verdict in verdicts:
        print("- " + verdict)


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    return f"{ns / 1e3:,.2f} µs"


if __name__ == "__main__":
    main(*sys.argv[1:4])
