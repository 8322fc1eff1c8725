"""Article images: bounded before they are decoded, judged by their bytes, phone-sized, stripped of metadata,
stored under names nobody can guess, and served to the phone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.errors import AppError
from server.newspaper import images


def _picture(size=(2000, 1000), fmt="JPEG", mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 1).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def _stored(name: str) -> Image.Image:
    with Image.open(images.path_of(name)) as image:
        image.load()
        return image


@pytest.fixture(autouse=True)
def image_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "NEWS_IMAGE_DIR", str(tmp_path))


def test_a_large_photo_is_made_phone_sized_and_stored_under_a_random_name():
    name = images.store(_picture((2000, 1000)))
    assert images.NAME.match(name) and name.endswith(".jpg")
    assert _stored(name).size == (1080, 540)
    assert images.store(_picture((2000, 1000))) != name


def test_a_small_picture_keeps_its_size_and_transparency_keeps_png():
    assert _stored(images.store(_picture((300, 200), "PNG"))).size == (300, 200)
    name = images.store(_picture((300, 200), "PNG", mode="RGBA"))
    assert name.endswith(".png") and _stored(name).mode == "RGBA"
    assert images.store(_picture((300, 200), "WEBP")).endswith(".jpg")


def test_camera_metadata_does_not_survive():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}  # GPS
    name = images.store(_picture((400, 300), exif=exif.tobytes()))
    assert not _stored(name).getexif()


def test_the_size_is_refused_before_anything_is_decoded(monkeypatch):
    monkeypatch.setattr(images, "_open", lambda *a: pytest.fail("decoded an oversized upload"))
    with pytest.raises(AppError) as refused:
        images.store(b"\xff\xd8\xff" + b"\0" * images.MAX_BYTES)
    assert (refused.value.status, refused.value.message) == (413, "图片不能超过 5 MB")


@pytest.mark.parametrize(
    "data",
    [b"GIF89a" + b"\0" * 100, b"<svg onload=alert(1)></svg>", b"%PDF-1.4", b"not an image at all"],
)
def test_the_type_is_read_from_the_bytes(data):
    with pytest.raises(AppError) as refused:
        images.store(data)
    assert refused.value.code == "image_type"


def test_a_truncated_picture_is_refused():
    with pytest.raises(AppError) as refused:
        images.store(_picture((800, 600))[:300])
    assert refused.value.code == "image_broken"


def test_a_decompression_bomb_is_refused_from_its_header():
    bomb = _picture((9000, 9000), "PNG", mode="1")  # 81 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    with pytest.raises(AppError) as refused:
        images.store(bomb)
    assert refused.value.code == "image_too_many_pixels"


def test_stored_images_are_served_and_unknown_names_are_missing(client):
    name = images.store(_picture((300, 200)))
    served = client.get(f"/media/news/{name}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "max-age=2592000" in served.headers["Cache-Control"]
    served.close()
    for wrong in ("0" * 32 + ".jpg", "..%2Fsecret_key", "x.jpg"):
        assert client.get(f"/media/news/{wrong}").status_code == 404
