#!/usr/bin/env python3
"""Samples a process's VmRSS every <interval> ms until <stop file> appears; prints the peak, the mean and the
number of samples (KiB, KiB, count).

Usage: rss_sampler.py <pid> <stop file> [interval ms]
"""
import os
import sys
import time


def rss_kib(pid: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    pid, stop = sys.argv[1], sys.argv[2]
    interval = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000
    samples = [rss_kib(pid)]
    while not os.path.exists(stop):
        time.sleep(interval)
        samples.append(rss_kib(pid))
    print(max(samples), sum(samples) // len(samples), len(samples))


if __name__ == "__main__":
    main()
