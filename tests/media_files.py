"""Tiny media files made in the test: valid images of each format, videos, and bad ones."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image

PILLOW_NAMES = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}


def image(fmt: str = "png", size: tuple[int, int] = (3, 2), *, noise: bool = False) -> bytes:
    """An image of ``size`` pixels; with ``noise`` it hardly compresses (for size limits)."""
    if noise:
        pixels = random.Random(size[0] * 65_536 + size[1]).randbytes(size[0] * size[1] * 3)
        picture = Image.frombytes("RGB", size, pixels)
    else:
        picture = Image.new("RGB", size, "teal")
    buffer = io.BytesIO()
    picture.save(buffer, PILLOW_NAMES[fmt])
    return buffer.getvalue()


def animated_png() -> bytes:
    frames = [Image.new("RGB", (2, 2), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(payload: bytes = b"\x00" * 32) -> bytes:
    """An ISO base media file: an `ftyp` box naming MP4 brands (what sniffing reads), then data."""
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41") + _box(b"mdat", payload)


def mov(payload: bytes = b"\x00" * 32) -> bytes:
    """A QuickTime movie: an `ftyp` box of brand `qt  `, then data."""
    return _box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + _box(b"mdat", payload)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny valid-looking PNG whose header claims ``width`` × ``height`` pixels: a bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


def truncated_png() -> bytes:
    """A PNG cut short: its header reads, its pixels do not."""
    whole = image("png", (64, 64), noise=True)
    return whole[: len(whole) // 2]


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
TEXT = b"just some text, no image at all\n"
