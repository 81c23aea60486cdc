#!/usr/bin/env python3
"""Draws OrgSeal's toolbar and store icons (a padlock on a blue disc) as PNG,
16, 32, 48 and 128 px, into extension/icons/. Standard library only, so the
committed files can be made again on any machine: python3 icons.py OUTDIR.
The lower right quarter stays plain so the browser's badge can sit there."""
import struct
import sys
import zlib

BLUE = (31, 58, 147)
WHITE = (255, 255, 255)


def inside(x, y):
    """The colour at (x, y) in a 1x1 square, or None (transparent)."""
    cx, cy = 0.5, 0.5
    if (x - cx) ** 2 + (y - cy) ** 2 > 0.5 ** 2:
        return None
    # Padlock body.
    if 0.28 <= x <= 0.72 and 0.46 <= y <= 0.80:
        # Keyhole: a round top and a slot.
        if (x - 0.5) ** 2 + (y - 0.58) ** 2 <= 0.055 ** 2 or (0.475 <= x <= 0.525 and 0.58 <= y <= 0.70):
            return BLUE
        return WHITE
    # Shackle: a ring, upper half, above the body.
    r = ((x - 0.5) ** 2 + (y - 0.46) ** 2) ** 0.5
    if y <= 0.46 and 0.12 <= r <= 0.18:
        return WHITE
    return BLUE


def draw(size, ss=8):
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    c = inside((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)
                    if c is not None:
                        acc[0] += c[0]
                        acc[1] += c[1]
                        acc[2] += c[2]
                        acc[3] += 1
            n = acc[3]
            if n:
                row += bytes([acc[0] // n, acc[1] // n, acc[2] // n, 255 * n // (ss * ss)])
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return b"".join(rows)


def png(size):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(draw(size), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "extension/icons"
    for size in (16, 32, 48, 128):
        with open(f"{out}/orgseal-{size}.png", "wb") as f:
            f.write(png(size))
