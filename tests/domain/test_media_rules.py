"""Media's pure rules (type from the bytes, image checks, alt text, names) and disk storage."""

from __future__ import annotations

import io
import uuid

import pytest

from api.domain.errors import RuleViolation, TooLarge
from api.domain.media import rules
from api.domain.media.rules import SizeLimits
from api.domain.media.storage import DiskStorage, storage_key
from tests.media_files import (
    HTML,
    SVG,
    TEXT,
    animated_png,
    image,
    mov,
    mp4,
    png_claiming,
    truncated_png,
)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (image("png"), "image/png"),
        (image("jpeg"), "image/jpeg"),
        (image("gif"), "image/gif"),
        (image("webp"), "image/webp"),
        (animated_png(), "image/png"),
        (mp4(), "video/mp4"),
        (mov(), "video/quicktime"),
    ],
    ids=["png", "jpeg", "gif", "webp", "apng", "mp4", "mov"],
)
def test_accepted_types_are_sniffed_and_the_stream_is_left_at_its_start(data, mime):
    content = io.BytesIO(data)

    assert rules.sniff(content) == mime
    assert content.tell() == 0


@pytest.mark.parametrize(
    "data",
    [HTML, SVG, TEXT, b"", b"%PDF-1.7\n", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"],
    ids=["html", "svg", "text", "empty", "pdf", "heic"],
)
def test_other_types_are_refused_naming_file(data):
    with pytest.raises(RuleViolation) as refused:
        rules.sniff(io.BytesIO(data))

    assert list(refused.value.errors) == ["file"]


def test_an_images_width_and_height_are_read():
    assert rules.image_dimensions(io.BytesIO(image("jpeg", (7, 5))), "image/jpeg") == (7, 5)


def test_an_image_must_decode_as_the_type_sniffed():
    with pytest.raises(RuleViolation) as refused:
        rules.image_dimensions(io.BytesIO(image("gif")), "image/png")

    assert "readable PNG" in refused.value.errors["file"][0]


def test_a_truncated_image_is_refused():
    with pytest.raises(RuleViolation, match="cannot be read"):
        rules.image_dimensions(io.BytesIO(truncated_png()), "image/png")


@pytest.mark.parametrize("size", [(10_000, 10_000), (100_000, 100_000)])
def test_an_image_past_pillows_pixel_bound_is_refused_before_it_is_decoded(size):
    with pytest.raises(RuleViolation) as refused:
        rules.image_dimensions(io.BytesIO(png_claiming(*size)), "image/png")

    assert "pixels" in refused.value.errors["file"][0]


def test_each_kind_has_its_own_size_limit():
    limits = SizeLimits(image=10, video=100)

    rules.check_size("image", 10, limits)
    rules.check_size("video", 100, limits)
    with pytest.raises(TooLarge) as refused:
        rules.check_size("image", 11, limits)
    assert list(refused.value.errors) == ["file"]
    with pytest.raises(TooLarge):
        rules.check_size("video", 101, limits)


def test_alt_text_is_trimmed_required_for_images_and_optional_for_videos():
    assert rules.checked_alt_text("image", "  A cat\n") == "A cat"
    assert rules.checked_alt_text("video", "  ") == ""
    with pytest.raises(RuleViolation) as refused:
        rules.checked_alt_text("image", " \t ")
    assert list(refused.value.errors) == ["alt_text"]


def test_alt_text_may_have_1500_characters_and_no_more():
    assert rules.checked_alt_text("image", "a" * 1500) == "a" * 1500
    with pytest.raises(RuleViolation):
        rules.checked_alt_text("video", "a" * 1501)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("teal.png", "teal.png"),
        ("photos/2027/teal.png", "teal.png"),
        ("C:\\photos\\teal.png", "teal.png"),
        ("tab\tand\r\nnew line.png", "tabandnew line.png"),
        ("", None),
        (None, None),
        ("photos/", None),
        ("é" * 300, "é" * 255),
    ],
)
def test_the_file_name_is_kept_without_folders_or_control_characters(given, kept):
    assert rules.base_name(given) == kept


def test_downloads_are_named_after_the_medium_and_its_sniffed_type():
    media_id = uuid.uuid4()

    assert rules.download_name(media_id, "video/quicktime") == f"{media_id}.mov"


def test_storage_keeps_a_file_under_its_key_and_removes_it(tmp_path):
    storage = DiskStorage(tmp_path)
    key = storage_key(uuid.uuid4(), uuid.uuid4())

    storage.save(key, io.BytesIO(b"bytes"))

    with storage.open(key) as stored:
        assert stored.read() == b"bytes"
    assert storage.location(key) == str(tmp_path.resolve() / key)
    storage.delete(key)
    storage.delete(key)  # already gone: nothing to do
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


class BrokenStream(io.RawIOBase):
    """A stream that fails part way, as a lost upload or a failing disk would."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.calls += 1
        if self.calls > 1:
            raise OSError("the upload went away")
        buffer[:4] = b"half"
        return 4


def test_a_save_that_fails_part_way_leaves_no_file(tmp_path):
    storage = DiskStorage(tmp_path)
    key = storage_key(uuid.uuid4(), uuid.uuid4())

    with pytest.raises(OSError, match="went away"):
        storage.save(key, BrokenStream())

    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "a//b", "", "a/b.png"])
def test_a_key_that_is_not_a_storage_key_is_refused(tmp_path, key):
    with pytest.raises(ValueError, match="not a storage key"):
        DiskStorage(tmp_path).open(key)
