#!/usr/bin/env python3
"""Writes a valid IPA for the benchmarks: Payload/Bench.app with a binary Info.plist, an executable and <size> MiB of
incompressible random data in stored (not deflated) entries, so neither the upload nor the zip reader can shortcut it.
With a payload of 0 the executable is a 4 KB stub and the IPA stays small.

Usage: make_ipa.py <out.ipa> [payload MiB, default 0] [bundle suffix]
"""
import os
import plistlib
import sys
import zipfile

CHUNK = 4 * 1024 * 1024
ENTRY = 256 * 1024 * 1024


def main() -> None:
    out = sys.argv[1]
    payload_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    suffix = sys.argv[3] if len(sys.argv) > 3 else ""
    info = {
        "CFBundleIdentifier": "com.example.bench" + suffix,
        "CFBundleShortVersionString": "1.2.3",
        "CFBundleVersion": "456",
        "CFBundleDisplayName": "Bench",
        "CFBundleName": "Bench",
        "CFBundleExecutable": "Bench",
        "CFBundleSupportedPlatforms": ["iPhoneOS"],
        "MinimumOSVersion": "16.0",
        "UIDeviceFamily": [1, 2],
    }
    remaining = payload_mib * 1024 * 1024
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("Payload/Bench.app/Info.plist", plistlib.dumps(info, fmt=plistlib.FMT_BINARY))
        # A Mach-O magic in front of random bytes: looks like an executable, compresses like one that is stripped.
        exe = zipfile.ZipInfo("Payload/Bench.app/Bench", date_time=(2025, 1, 1, 0, 0, 0))
        exe.external_attr = 0o100755 << 16
        exe_size = min(remaining, 8 * 1024 * 1024) if remaining else 4096
        zf.writestr(exe, b"\xcf\xfa\xed\xfe" + os.urandom(exe_size - 4))
        remaining -= min(remaining, exe_size)
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
