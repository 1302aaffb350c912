#!/usr/bin/env python3
"""Writes a valid IPA for the delivery benchmark: Payload/Bench.app with a binary Info.plist and <size> MiB of
incompressible random data in stored (not deflated) entries, so nothing on the way can shrink it.

Usage: make_ipa.py <out.ipa> <payload MiB>
"""
import os
import plistlib
import sys
import zipfile

CHUNK = 4 * 1024 * 1024
ENTRY = 256 * 1024 * 1024


def main() -> None:
    out, remaining = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
    info = {
        "CFBundleIdentifier": "com.example.delivery-bench",
        "CFBundleShortVersionString": "1.0.0",
        "CFBundleVersion": "1",
        "CFBundleDisplayName": "Bench",
        "CFBundleName": "Bench",
        "CFBundleExecutable": "Bench",
        "CFBundleSupportedPlatforms": ["iPhoneOS"],
        "MinimumOSVersion": "16.0",
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("Payload/Bench.app/Info.plist", plistlib.dumps(info, fmt=plistlib.FMT_BINARY))
        index = 0
        while remaining > 0:
            size = min(remaining, ENTRY)
            with zf.open(f"Payload/Bench.app/Assets/blob{index}.bin", "w") as entry:
                left = size
                while left > 0:
                    n = min(left, CHUNK)
                    entry.write(os.urandom(n))
                    left -= n
            remaining -= size
            index += 1


if __name__ == "__main__":
    main()
