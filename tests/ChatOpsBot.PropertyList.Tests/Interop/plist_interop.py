"""CPython plistlib as an independent implementation for InteropTests.

  describe DIR   loads every *.xml and *.bin file in DIR with plistlib and writes DIR/descriptions.json,
                 mapping each file name to its canonical description (or {"error": ...}).
  generate DIR COUNT SEED
                 writes COUNT random documents per format (py-N.xml, py-N.bin) with plistlib.dumps and
                 DIR/expected.json with the canonical description of each generated value.

A canonical description is JSON: ["dict", [[key, desc], ...]] with keys in UTF-16 code-unit order,
["array", [...]], ["string", s], ["int", "decimal"], ["real", "nan" or 16 hex digits of the double],
["bool", b], ["date", "microseconds since 2001-01-01T00:00:00Z"], ["data", "hex"], ["uid", "decimal"].
"""
import datetime
import json
import os
import plistlib
import random
import struct
import sys

EPOCH = datetime.datetime(2001, 1, 1)
INT_BOUNDARIES = [0, 1, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, -1, -2**63]


def describe(value):
    if isinstance(value, dict):
        # plistlib has no UID in XML: it reads the CF$UID form as a plain dict.
        if len(value) == 1 and isinstance(value.get("CF$UID"), int) and not isinstance(value["CF$UID"], bool):
            return ["uid", str(value["CF$UID"])]
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return ["dict", [[k, describe(value[k])] for k in keys]]
    if isinstance(value, list):
        return ["array", [describe(v) for v in value]]
    if isinstance(value, str):
        return ["string", value]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["real", "nan" if value != value else struct.pack(">d", value).hex()]
    if isinstance(value, datetime.datetime):
        return ["date", str((value - EPOCH) // datetime.timedelta(microseconds=1))]
    if isinstance(value, (bytes, bytearray)):
        return ["data", bytes(value).hex()]
    if isinstance(value, plistlib.UID):
        return ["uid", str(value.data)]
    raise TypeError(f"unexpected {type(value).__name__}")


def describe_dir(directory):
    result = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith((".xml", ".bin")):
            continue
        try:
            with open(os.path.join(directory, name), "rb") as f:
                result[name] = describe(plistlib.load(f))
        except Exception as e:  # reported per file, so one bad document does not hide the others
            result[name] = {"error": f"{type(e).__name__}: {e}"}
    with open(os.path.join(directory, "descriptions.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


# Characters XML 1.0 and both writers carry unchanged: no controls but TAB and LF (plistlib rewrites CR as LF).
CHARS = "abcXYZ019 &<>\"'\t\n;]]>" + "\u00e9\u00df\u20ac\u65e5\u0416\ufffd\ue000\u00a0" + "\U0001f40d\U0001f600\U00010000"


class Generator:
    def __init__(self, seed, binary):
        self.rng = random.Random(seed)
        self.binary = binary

    def string(self):
        return "".join(self.rng.choice(CHARS) for _ in range(self.rng.choice([0, 1, 3, 8, 14, 15, 16, 40])))

    def scalar(self):
        rng = self.rng
        kind = rng.randrange(9 if self.binary else 8)
        if kind == 0:
            return self.string()
        if kind == 1:
            return rng.choice(INT_BOUNDARIES) if rng.random() < 0.5 else rng.randrange(-2**63, 2**64)
        if kind == 2:
            if rng.random() < 0.3:
                value = rng.choice([0.0, -0.0, 0.5, float("inf"), float("-inf"), float("nan"), 1e300, 5e-324])
            else:
                value = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
                value = 0.25 if value != value else value
            # plistlib's binary writer stores equal objects once and 0.0 == -0.0, so a -0.0 would come back as 0.0.
            return 0.0 if self.binary and value == 0 else value
        if kind == 3:
            return rng.random() < 0.5
        if kind == 4:
            # whole seconds from year 1000 to 9999 (plistutil writes years below 1000 without padding)
            low = (datetime.datetime(1000, 1, 1) - EPOCH) // datetime.timedelta(seconds=1)
            high = (datetime.datetime(9999, 12, 31, 23, 59, 59) - EPOCH) // datetime.timedelta(seconds=1)
            return EPOCH + datetime.timedelta(seconds=rng.randint(low, high))
        if kind == 5:
            return bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 2, 3, 14, 15, 57, 100])))
        if kind == 6:
            return [] if rng.random() < 0.5 else {}
        if kind == 7:
            return rng.choice(INT_BOUNDARIES[:11])
        # libplist 2.2 reads UIDs of at most 4 bytes (CF's cap); wider ones make plistutil write an empty <plist>.
        return plistlib.UID(rng.choice([0, 1, 255, 256, 65535, 65536, 2**32 - 1]))

    def value(self, depth):
        rng = self.rng
        if depth > 3 or rng.random() < 0.5:
            return self.scalar()
        if rng.random() < 0.5:
            return [self.value(depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 5, 14, 15]))]
        result = {}
        for _ in range(rng.choice([0, 1, 2, 3, 6])):
            result[self.string()] = self.value(depth + 1)
        return result


def generate(directory, count, seed):
    expected = {}
    for fmt, suffix, binary in [(plistlib.FMT_XML, "xml", False), (plistlib.FMT_BINARY, "bin", True)]:
        gen = Generator(f"{seed}-{suffix}", binary)
        for i in range(count):
            root = {"ints": INT_BOUNDARIES, "value": gen.value(0)} if i == 0 else gen.value(0)
            if i == 1:
                root = [list(range(14)), list(range(15)), list(range(300)), list(range(70000))]
            name = f"py-{i}.{suffix}"
            with open(os.path.join(directory, name), "wb") as f:
                f.write(plistlib.dumps(root, fmt=fmt))
            expected[name] = describe(root)
    with open(os.path.join(directory, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    if sys.argv[1] == "describe":
        describe_dir(sys.argv[2])
    elif sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
