"""What an uploaded file is and whether it may be kept: pure rules over its bytes and fields.

The type is sniffed from the bytes (the client's Content-Type and file name prove
nothing); an image must open in Pillow as that type, decode, and stay within
Pillow's decompression-bomb bound (``Image.MAX_IMAGE_PIXELS``).
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import filetype
from PIL import Image, UnidentifiedImageError

from api.domain.errors import RuleViolation, TooLarge
from api.domain.media.models import MAX_ALT_TEXT, MIME_TYPES

# An animated PNG is a PNG: networks and browsers take it as one.
ALIASES = {"image/apng": "image/png"}
PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
}
ACCEPTED = "Must be a JPEG, PNG, GIF or WebP image or an MP4 or MOV video (read from its bytes)."


@dataclass(frozen=True)
class SizeLimits:
    """The largest file of each kind, in bytes."""

    image: int
    video: int

    def of(self, kind: str) -> int:
        return self.image if kind == "image" else self.video


def sniff(content: BinaryIO) -> str:
    """The accepted MIME type of the bytes at the start of ``content`` (left where it was)."""
    guessed = filetype.guess(content)
    mime = ALIASES.get(guessed.mime, guessed.mime) if guessed else None
    if mime not in MIME_TYPES:
        raise RuleViolation(
            "the file is not an accepted image or video", errors={"file": [ACCEPTED]}
        )
    return mime


def check_size(kind: str, size: int, limits: SizeLimits) -> None:
    limit = limits.of(kind)
    if size > limit:
        raise TooLarge(
            f"the {kind} is too large",
            errors={"file": [f"An {kind} may have at most {limit:,} bytes; this has {size:,}."]},
        )


def image_dimensions(content: BinaryIO, mime: str) -> tuple[int, int]:
    """Width and height of the image in ``content``, which must decode as ``mime``."""
    unreadable = RuleViolation(
        "the image cannot be read",
        errors={"file": [f"Must be a readable {PILLOW_FORMATS[mime]} image; this one is damaged."]},
    )
    try:
        # The warning Pillow gives short of its error is checked below instead; should
        # threads interleave these filters, that check still refuses the image.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(content, formats=[PILLOW_FORMATS[mime]])
    except Image.DecompressionBombError:
        raise _bomb() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise unreadable from None
    with image:
        width, height = image.size
        if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
            raise _bomb()
        try:
            image.load()  # the pixels decode: a truncated or damaged file does not
        except (OSError, ValueError, SyntaxError, EOFError):
            raise unreadable from None
    return width, height


def _bomb() -> RuleViolation:
    return RuleViolation(
        "the image has too many pixels",
        errors={"file": [f"An image may have at most {Image.MAX_IMAGE_PIXELS:,} pixels."]},
    )


def checked_alt_text(kind: str, alt_text: str) -> str:
    """The alt text trimmed; an image needs one (people who cannot see it read it)."""
    text = alt_text.strip()
    if kind == "image" and not text:
        raise RuleViolation(
            "an image needs alt text",
            errors={"alt_text": ["An image needs alt text describing it."]},
        )
    if len(text) > MAX_ALT_TEXT:
        raise RuleViolation(
            "the alt text is too long",
            errors={"alt_text": [f"Must be at most {MAX_ALT_TEXT:,} characters."]},
        )
    return text


def base_name(file_name: str | None) -> str | None:
    """The client's file name without its folders or control characters, at most 255 long."""
    if not file_name:
        return None
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) != "Cc").strip()
    return name[:255] or None


def download_name(media_id: object, mime: str) -> str:
    """The name a download is offered under: ours, with the extension of the sniffed type.

    Never the client's: a PNG named ``page.html`` must not be saved as a web page.
    """
    return f"{media_id}.{EXTENSIONS[mime]}"
