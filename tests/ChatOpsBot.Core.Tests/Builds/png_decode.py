"""Independent PNG decoder for the tests: stdlib zlib only, written apart from the product code.

Prints JSON {"width", "height", "chunks", "pixels": hex RGBA}. Refuses anything a standard decoder would refuse:
bad signature or CRC, CgBI chunks, a missing zlib header or Adler-32, wrong data length.
"""
import json
import struct
import sys
import zlib

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(data, pos, width, height, bpp):
    stride = width * bpp
    rows, prior = [], bytearray(stride)
    for _ in range(height):
        ftype = data[pos]
        row = bytearray(data[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            if ftype == 0:
                p = 0
            elif ftype == 1:
                p = a
            elif ftype == 2:
                p = b
            elif ftype == 3:
                p = (a + b) >> 1
            elif ftype == 4:
                p = paeth(a, b, c)
            else:
                raise ValueError("bad filter type %d" % ftype)
            row[i] = (row[i] + p) & 0xFF
        rows.append(row)
        prior = row
    return rows, pos


def main(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("bad signature")
    pos, chunks, idat = 8, [], b""
    while True:
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise ValueError("bad CRC in " + ctype.decode("latin-1"))
        chunks.append(ctype.decode("latin-1"))
        pos += 12 + length
        if ctype == b"CgBI":
            raise ValueError("still crushed")
        if ctype == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
    if chunks[0] != "IHDR" or depth != 8 or colour not in (2, 6):
        raise ValueError("unsupported test image")
    raw = zlib.decompress(idat)  # requires the zlib header and checks Adler-32
    bpp = 4 if colour == 6 else 3
    pixels = bytearray(width * height * 4)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    pos = 0
    for x0, y0, dx, dy in passes:
        pw, ph = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if pw == 0 or ph == 0:
            continue
        rows, pos = unfilter(raw, pos, pw, ph, bpp)
        for j, row in enumerate(rows):
            for i in range(pw):
                x, y = x0 + i * dx, y0 + j * dy
                px = row[i * bpp:(i + 1) * bpp] + (b"\xff" if bpp == 3 else b"")
                pixels[(y * width + x) * 4:(y * width + x) * 4 + 4] = px
    if pos != len(raw):
        raise ValueError("image data has %d extra bytes" % (len(raw) - pos))
    print(json.dumps({"width": width, "height": height, "interlaced": bool(interlace), "chunks": chunks,
                      "zlibHeader": idat[:2].hex(), "pixels": pixels.hex()}))


if __name__ == "__main__":
    main(sys.argv[1])
