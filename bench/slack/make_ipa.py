#!/usr/bin/env python3
"""Writes a small valid IPA for the Slack benchmark: Payload/Bench.app/Info.plist and a few bytes of executable.

Usage: make_ipa.py <out.ipa>
"""
import plistlib
import sys
import zipfile


def main() -> None:
    info = {
        "CFBundleIdentifier": "com.example.slack-bench",
        "CFBundleShortVersionString": "1.0.0",
        "CFBundleVersion": "1",
        "CFBundleDisplayName": "Bench",
        "CFBundleName": "Bench",
        "CFBundleExecutable": "Bench",
        "CFBundleSupportedPlatforms": ["iPhoneOS"],
        "MinimumOSVersion": "16.0",
    }
    with zipfile.ZipFile(sys.argv[1], "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Payload/Bench.app/Info.plist", plistlib.dumps(info, fmt=plistlib.FMT_BINARY))
        zf.writestr("Payload/Bench.app/Bench", b"\xcf\xfa\xed\xfe" + bytes(4092))


if __name__ == "__main__":
    main()
