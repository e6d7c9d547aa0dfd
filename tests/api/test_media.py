"""Media through the API: upload, list, read, change alt text, download, delete; and refusals."""

from __future__ import annotations

import hashlib
import io

import pytest

from api import create_app
from tests.api.test_bad_input import assert_problem
from tests.factories import Factory
from tests.helpers import embedded_app
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

ALT = "A teal square on a white table"


def upload(client, org, data: bytes, name="photo.png", alt_text=ALT, headers=None, part_type=None):
    form = {"file": (io.BytesIO(data), name, part_type) if part_type else (io.BytesIO(data), name)}
    if alt_text is not None:
        form["alt_text"] = alt_text
    return client.post(
        org.url("/media"),
        headers=org.headers if headers is None else headers,
        data=form,
        content_type="multipart/form-data",
    )


def uploaded(response) -> dict:
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def listed(client, org, query: str = "") -> list[dict]:
    response = client.get(org.url(f"/media{query}"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def files_of(media_dir, org) -> list:
    """Every file kept for the organisation, half-written ones included."""
    folder = media_dir / str(org.id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_image_goes_through_upload_list_read_change_download_and_delete(
    client, factory, media_dir
):
    org = factory.organisation("Media Round Trip")
    data = image("png", (3, 2))

    response = upload(client, org, data, name="photos/2027/teal.png", alt_text=f"  {ALT}  ")

    media = uploaded(response)
    assert {k: media[k] for k in ("kind", "mime_type", "width", "height", "alt_text")} == {
        "kind": "image",
        "mime_type": "image/png",
        "width": 3,
        "height": 2,
        "alt_text": ALT,
    }
    assert (media["size_bytes"], media["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert (media["file_name"], media["status"], media["version"]) == ("teal.png", "ready", 1)
    assert media["created_by_user_id"] == str(org.owner_id)
    assert response.headers["Location"].endswith(f"/media/{media['id']}")
    assert response.headers["ETag"] == '"1"'
    assert files_of(media_dir, org) == [media["id"]]  # stored by its id, not the file's name
    assert [m["id"] for m in listed(client, org)] == [media["id"]]
    item = org.url(f"/media/{media['id']}")
    assert client.get(item, headers=org.headers).get_json() == media

    changed = client.patch(
        item, headers={**org.headers, "If-Match": '"1"'}, json={"alt_text": "A teal square"}
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert (changed.get_json()["alt_text"], changed.get_json()["version"]) == ("A teal square", 2)

    content = client.get(f"{item}/content", headers=org.headers)
    assert content.status_code == 200
    assert content.data == data
    assert content.mimetype == "image/png"
    assert content.headers["Content-Length"] == str(len(data))
    assert content.headers["Content-Disposition"] == f"attachment; filename={media['id']}.png"
    assert content.headers["X-Content-Type-Options"] == "nosniff"

    assert client.delete(item, headers=org.headers).status_code == 204
    assert_problem(client.get(item, headers=org.headers), 404)
    assert_problem(client.get(f"{item}/content", headers=org.headers), 404)
    assert listed(client, org) == []
    assert files_of(media_dir, org) == []


@pytest.mark.parametrize(
    ("make", "mime", "extension"), [(mp4, "video/mp4", "mp4"), (mov, "video/quicktime", "mov")]
)
def test_a_video_goes_through_upload_read_download_and_delete(
    client, factory, media_dir, make, mime, extension
):
    org = factory.organisation("Video Round Trip")
    data = make()

    media = uploaded(upload(client, org, data, name=f"clip.{extension}", alt_text=None))

    assert (media["kind"], media["mime_type"], media["size_bytes"]) == ("video", mime, len(data))
    assert (media["width"], media["height"], media["alt_text"]) == (None, None, "")
    item = org.url(f"/media/{media['id']}")
    described = client.patch(item, headers=org.headers, json={"alt_text": "Our team at work"})
    assert described.get_json()["alt_text"] == "Our team at work"
    cleared = client.patch(item, headers=org.headers, json={"alt_text": ""})
    assert cleared.get_json()["alt_text"] == ""  # a video may go without
    content = client.get(f"{item}/content", headers=org.headers)
    assert (content.data, content.mimetype) == (data, mime)
    disposition = content.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={media['id']}.{extension}"
    assert client.delete(item, headers=org.headers).status_code == 204
    assert files_of(media_dir, org) == []


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (image("jpeg"), "image/jpeg"),
        (image("gif"), "image/gif"),
        (image("webp"), "image/webp"),
        (animated_png(), "image/png"),
    ],
    ids=["jpeg", "gif", "webp", "animated-png"],
)
def test_every_accepted_image_format_is_kept_with_its_size(client, factory, data, mime):
    org = factory.organisation("Formats")

    media = uploaded(upload(client, org, data))

    assert (media["mime_type"], media["width"] > 0, media["height"] > 0) == (mime, True, True)


def test_the_type_comes_from_the_bytes_not_the_name_or_the_part_type(client, factory):
    org = factory.organisation("Sniffed")

    media = uploaded(upload(client, org, image("png"), name="movie.mp4", part_type="video/mp4"))

    assert (media["kind"], media["mime_type"]) == ("image", "image/png")
    content = client.get(org.url(f"/media/{media['id']}/content"), headers=org.headers)
    assert content.headers["Content-Disposition"].endswith(".png")


@pytest.mark.parametrize(
    ("data", "name", "part_type"),
    [
        (HTML, "page.html", "text/html"),
        (HTML, "photo.png", "image/png"),  # lying about itself changes nothing
        (SVG, "logo.svg", "image/svg+xml"),
        (TEXT, "notes.txt", "text/plain"),
        (b"", "empty.png", "image/png"),
    ],
    ids=["html", "html-named-png", "svg", "text", "empty"],
)
def test_a_file_of_another_type_is_422_naming_file_and_keeps_nothing(
    client, factory, media_dir, data, name, part_type
):
    org = factory.organisation("Wrong Types")

    response = upload(client, org, data, name=name, part_type=part_type)

    assert "file" in assert_problem(response, 422)["errors"]
    assert listed(client, org) == []
    assert files_of(media_dir, org) == []


@pytest.mark.parametrize("alt_text", [None, "", "   \n\t "], ids=["absent", "empty", "blank"])
def test_an_image_without_alt_text_is_422_naming_alt_text(client, factory, media_dir, alt_text):
    org = factory.organisation("No Alt Text")

    response = upload(client, org, image("png"), alt_text=alt_text)

    assert "alt_text" in assert_problem(response, 422)["errors"]
    assert listed(client, org) == []
    assert files_of(media_dir, org) == []


def test_alt_text_over_1500_characters_is_422(client, factory):
    org = factory.organisation("Long Alt Text")

    response = upload(client, org, image("png"), alt_text="a" * 1501)

    assert "alt_text" in assert_problem(response, 422)["errors"]
    longest = uploaded(upload(client, org, image("png"), alt_text="a" * 1500))
    assert longest["alt_text"] == "a" * 1500


def test_a_nul_in_the_alt_text_is_422_naming_alt_text(client, factory, media_dir):
    org = factory.organisation("Nul Alt Text")

    response = upload(client, org, image("png"), alt_text="a teal\x00square")

    assert "alt_text" in assert_problem(response, 422)["errors"]
    assert listed(client, org) == []
    assert files_of(media_dir, org) == []


def test_a_nul_in_the_file_name_is_422_naming_file(client, factory):
    org = factory.organisation("Nul File Name")

    response = upload(client, org, image("png"), name="teal\x00.png")

    assert "file" in assert_problem(response, 422)["errors"]
    assert listed(client, org) == []


@pytest.mark.parametrize(
    "data",
    [truncated_png(), image("png")[:40], b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 8],
    ids=["truncated-png", "png-header-only", "jpeg-signature-then-garbage"],
)
def test_a_damaged_image_is_422_naming_file(client, factory, media_dir, data):
    org = factory.organisation("Damaged")

    response = upload(client, org, data)

    assert "file" in assert_problem(response, 422)["errors"]
    assert listed(client, org) == []
    assert files_of(media_dir, org) == []


@pytest.mark.parametrize(
    "size", [(10_000, 10_000), (100_000, 100_000)], ids=["over-the-bound", "far-over-the-bound"]
)
def test_a_decompression_bomb_is_422_naming_file(client, factory, media_dir, size):
    org = factory.organisation("Bombed")
    bomb = png_claiming(*size)
    assert len(bomb) < 200  # a few bytes claiming billions of pixels

    response = upload(client, org, bomb)

    errors = assert_problem(response, 422)["errors"]
    assert "pixels" in errors["file"][0]
    assert listed(client, org) == []
    assert files_of(media_dir, org) == []


def test_a_missing_file_or_a_file_sent_as_text_is_422_naming_file(client, factory):
    org = factory.organisation("No File")

    missing = client.post(
        org.url("/media"),
        headers=org.headers,
        data={"alt_text": ALT},
        content_type="multipart/form-data",
    )
    as_text = client.post(
        org.url("/media"),
        headers=org.headers,
        data={"file": "not a file part", "alt_text": ALT},
        content_type="multipart/form-data",
    )

    assert "file" in assert_problem(missing, 422)["errors"]
    assert "file" in assert_problem(as_text, 422)["errors"]


def test_removing_an_images_alt_text_is_422_and_changes_nothing(client, factory):
    org = factory.organisation("Keep Alt Text")
    media = uploaded(upload(client, org, image("png")))
    item = org.url(f"/media/{media['id']}")

    response = client.patch(item, headers=org.headers, json={"alt_text": "  "})

    assert "alt_text" in assert_problem(response, 422)["errors"]
    assert client.get(item, headers=org.headers).get_json() == media


def test_a_stale_if_match_is_412(client, factory):
    org = factory.organisation("Stale Media")
    media = uploaded(upload(client, org, image("png")))
    item = org.url(f"/media/{media['id']}")
    client.patch(item, headers=org.headers, json={"alt_text": "First"})

    response = client.patch(
        item, headers={**org.headers, "If-Match": '"1"'}, json={"alt_text": "Second"}
    )

    assert_problem(response, 412)
    assert client.get(item, headers=org.headers).get_json()["alt_text"] == "First"


def test_the_list_is_newest_first_paged_and_filtered_by_kind(client, factory):
    org = factory.organisation("Media Library")
    first = uploaded(upload(client, org, image("png")))["id"]
    video = uploaded(upload(client, org, mp4(), alt_text=None))["id"]
    last = uploaded(upload(client, org, image("gif")))["id"]

    page = client.get(org.url("/media?limit=2"), headers=org.headers).get_json()
    rest = client.get(
        org.url(f"/media?limit=2&cursor={page['next_cursor']}"), headers=org.headers
    ).get_json()

    assert [m["id"] for m in page["items"] + rest["items"]] == [last, video, first]
    assert rest["next_cursor"] is None
    assert [m["id"] for m in listed(client, org, "?kind=image")] == [last, first]
    assert [m["id"] for m in listed(client, org, "?kind=video")] == [video]
    refused = client.get(org.url("/media?kind=gif"), headers=org.headers)
    assert "kind" in assert_problem(refused, 422)["errors"]


def test_reading_media_needs_content_read_and_changing_it_content_write(client, factory):
    org = factory.organisation("Media Scopes")
    media = uploaded(upload(client, org, image("png")))
    item = org.url(f"/media/{media['id']}")
    analyst = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}
    contributor = {"Authorization": f"Bearer {factory.member(org, 'contributor')}"}

    assert client.get(org.url("/media"), headers=analyst).status_code == 200
    assert client.get(item, headers=analyst).status_code == 200
    assert client.get(f"{item}/content", headers=analyst).status_code == 200
    assert_problem(upload(client, org, image("png"), headers=analyst), 403)
    assert_problem(client.patch(item, headers=analyst, json={"alt_text": "Mine"}), 403)
    assert_problem(client.delete(item, headers=analyst), 403)
    assert uploaded(upload(client, org, image("png"), headers=contributor))["kind"] == "image"


def test_uploads_are_recorded_in_the_audit_trail(client, factory):
    org = factory.organisation("Audited Media")
    media = uploaded(upload(client, org, image("png")))

    trail = client.get(
        org.url(f"/audit-events?resource_type=media&resource_id={media['id']}"),
        headers=org.headers,
    ).get_json()["items"]

    assert [(e["action"], e["changes"]["alt_text"]["after"]) for e in trail] == [("create", ALT)]


# Size limits: a file over its kind's limit is a 413, so is a body over the largest.


@pytest.fixture(scope="module")
def small_limits(settings):
    return create_app(
        settings.model_copy(update={"max_image_bytes": 2048, "max_video_bytes": 4096})
    ).test_client()


def test_an_image_over_the_image_limit_is_413_naming_file(small_limits, factory, media_dir):
    org = factory.organisation("Big Image")
    data = image("png", (30, 30), noise=True)
    assert 2048 < len(data) < 4096  # within the video limit: the image's own counts

    response = upload(small_limits, org, data)

    assert "file" in assert_problem(response, 413)["errors"]
    assert files_of(media_dir, org) == []
    assert uploaded(upload(small_limits, org, image("png")))["kind"] == "image"


def test_a_video_over_the_video_limit_is_413_naming_file(small_limits, factory, media_dir):
    org = factory.organisation("Big Video")

    response = upload(small_limits, org, mp4(b"\x00" * 5000), alt_text=None)

    assert "file" in assert_problem(response, 413)["errors"]
    assert files_of(media_dir, org) == []


def test_a_body_over_the_largest_upload_is_413_before_it_is_read(small_limits, factory, media_dir):
    org = factory.organisation("Huge Body")

    response = upload(small_limits, org, mp4(b"\x00" * 200_000), alt_text=None)

    assert_problem(response, 413)
    assert files_of(media_dir, org) == []


# Nothing half-written: a row always has its file, a file always its row.


def test_a_failed_insert_leaves_no_file(client, factory, media_dir, database_faults):
    org = factory.organisation("Insert Fails")
    fault = database_faults.refuse("media")

    response = upload(client, org, image("png"))

    assert_problem(response, 500)
    assert fault.seen() == 1
    assert files_of(media_dir, org) == []
    assert listed(client, org) == []


def test_a_failed_file_write_leaves_no_row(client, factory, media_dir):
    org = factory.organisation("Write Fails")
    (media_dir / str(org.id)).write_bytes(b"")  # a file where the organisation's folder goes

    try:
        response = upload(client, org, image("png"))

        assert_problem(response, 500)
        assert listed(client, org) == []
    finally:
        (media_dir / str(org.id)).unlink()


def test_the_embedded_default_keeps_media_too(tmp_path):
    with embedded_app(tmp_path, media_dir=str(tmp_path / "media")) as app:
        client = app.test_client()
        org = Factory(app.extensions["clover"].database).organisation("Embedded Media")
        data = image("webp")

        media = uploaded(upload(client, org, data))
        content = client.get(org.url(f"/media/{media['id']}/content"), headers=org.headers)
        deleted = client.delete(org.url(f"/media/{media['id']}"), headers=org.headers)

    assert (media["mime_type"], content.data) == ("image/webp", data)
    assert deleted.status_code == 204
    assert files_of(tmp_path / "media", org) == []


def test_a_medium_whose_file_is_missing_answers_gone(client, factory, media_dir):
    org = factory.organisation("Media Lost File")
    media = uploaded(upload(client, org, image("png", (2, 2)), name="a.png", alt_text=ALT))
    (media_dir / str(org.id) / media["id"]).unlink()

    response = client.get(org.url(f"/media/{media['id']}/content"), headers=org.headers)

    assert response.status_code == 410
    assert response.content_type == "application/problem+json"
    assert "upload it again" in response.get_json()["detail"]
