#!/usr/bin/env python3
"""Times CPython's plistlib parsing and writing the benchmark inputs, for comparison with ChatOpsBot.PropertyList.

Each case is timed with timeit: the loop count is chosen so that one repeat takes at least --min-time seconds, then
--repeat repeats are run; the per-operation best, mean and median over the repeats are reported. Writing re-emits
the parsed value in the input's own format (binary stays binary, XML stays XML) with sorted keys, as our writer does.
The cyclic garbage collector stays on while timing (timeit turns it off by default): the .NET figures include the
cost of collecting what each operation allocated, so these must too.
"""
import argparse
import gc
import json
import platform
import plistlib
import statistics
import sys
import timeit
from pathlib import Path


def time_op(func, repeat, min_time):
    timer = timeit.Timer(func, setup=gc.enable)
    number = 1
    while True:
        if timer.timeit(number) >= min_time:
            break
        number *= 2
    per_op = [t / number for t in timer.repeat(repeat=repeat, number=number)]
    return {
        "number": number,
        "repeat": repeat,
        "best_ns": min(per_op) * 1e9,
        "mean_ns": statistics.fmean(per_op) * 1e9,
        "median_ns": statistics.median(per_op) * 1e9,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inputs", type=Path, help="directory written by 'ChatOpsBot.Benchmarks generate'")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per repeat, at least")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    results = []
    for path in sorted(args.inputs.glob("*.plist")):
        data = path.read_bytes()
        fmt = plistlib.FMT_BINARY if data.startswith(b"bplist") else plistlib.FMT_XML
        value = plistlib.loads(data)
        for op, func in (
            ("Parse", lambda: plistlib.loads(data)),
            ("Write", lambda: plistlib.dumps(value, fmt=fmt, sort_keys=True)),
        ):
            result = {"input": path.name, "op": op, "bytes": len(data), **time_op(func, args.repeat, args.min_time)}
            results.append(result)
            print(f"{path.name:<24} {op:<6} best {result['best_ns'] / 1e6:10.3f} ms  "
                  f"mean {result['mean_ns'] / 1e6:10.3f} ms  median {result['median_ns'] / 1e6:10.3f} ms  "
                  f"({result['repeat']} x {result['number']} loops)", flush=True)

    if args.json:
        args.json.write_text(json.dumps({"python": platform.python_version(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
