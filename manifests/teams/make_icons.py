#!/usr/bin/env python3
"""Draws the Teams app icons with the standard library only: color.png (192x192, full colour) and outline.png
(32x32, white on transparent). Run from anywhere: python3 manifests/teams/make_icons.py"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def png(path, size, pixel):
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def phone(x, y, size):
    """True where a simple phone with a download arrow is drawn, in a size x size square."""
    u, v = x / size, y / size
    body = 0.28 <= u <= 0.72 and 0.12 <= v <= 0.88
    screen = 0.33 <= u <= 0.67 and 0.2 <= v <= 0.74
    button = abs(u - 0.5) <= 0.05 and 0.78 <= v <= 0.83
    arrow_stem = abs(u - 0.5) <= 0.04 and 0.28 <= v <= 0.56
    arrow_head = 0.5 <= v <= 0.66 and abs(u - 0.5) <= (0.66 - v) * 0.9
    return (body and not screen and not button) or arrow_stem or arrow_head


def color(x, y):
    if phone(x, y, 192):
        return (255, 255, 255, 255)
    return (70, 71, 117, 255)  # Teams-friendly indigo background


def outline(x, y):
    return (255, 255, 255, 255) if phone(x, y, 32) else (0, 0, 0, 0)


png(os.path.join(HERE, "color.png"), 192, color)
png(os.path.join(HERE, "outline.png"), 32, outline)
