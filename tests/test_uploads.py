"""The shared upload guards (server/uploads.py, server/spreadsheets.py), on files built to hurt."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from PIL import Image

from server.errors import AppError
from server.members.excel import template_workbook
from server.spreadsheets import open_upload
from server.uploads import MB, BoundedZipFile, ZipLimits, check_image, check_zip, sniff
from tests.hostile_files import SHARED_STRINGS, jpeg_declaring, png_declaring, shared_strings_bomb, with_declared_size

LIMITS = ZipLimits(
    required=("[Content_Types].xml",),
    not_valid=("not_document", "文件不是有效的文档"),
    max_total=3 * MB,
    max_part=2 * MB,
    max_ratio=100,
    ratio_from=64 * 1024,
    max_parts=10,
)


def archive(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return buffer.getvalue()


def incompressible(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def refused(call, *args) -> str:
    with pytest.raises(AppError) as caught:
        call(*args)
    assert caught.value.message and not caught.value.message.isascii()
    return caught.value.code


def test_sniff_goes_by_the_first_bytes():
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert sniff(b"PK\x03\x04....") == "application/zip"
    assert sniff("姓名,性别".encode()) is None


TYPES = {"[Content_Types].xml": b"<Types/>"}


def test_a_sane_archive_passes():
    check_zip(archive(TYPES | {"data.xml": incompressible(MB)}), LIMITS)


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        pytest.param(None, "not_document", id="not-a-zip"),
        pytest.param({"word/document.xml": b"<w/>"}, "not_document", id="required-part-missing"),
        pytest.param(TYPES | {f"p{n}.xml": b"" for n in range(10)}, "not_document", id="too-many-parts"),
        pytest.param(TYPES | {"big.xml": incompressible(2 * MB + 1)}, "unpacks_too_large", id="part"),
        pytest.param(
            TYPES | {"a.xml": incompressible(3 * MB // 2), "b.xml": incompressible(3 * MB // 2)},
            "unpacks_too_large",
            id="total",
        ),
        pytest.param(TYPES | {"same.xml": b"a" * (MB // 2)}, "unpacks_too_large", id="ratio"),
    ],
)
def test_a_bad_archive_is_refused_from_its_directory(parts, code):
    data = b"just text" if parts is None else archive(parts)
    assert refused(check_zip, data, LIMITS) == code


def test_a_small_part_may_compress_well():
    check_zip(archive({"[Content_Types].xml": b" " * 60_000}), LIMITS)


def test_an_encrypted_archive_is_refused():
    data = bytearray(archive({"[Content_Types].xml": b"<Types/>"}))
    data[data.rindex(b"PK\x01\x02") + 8] |= 0x1  # the central directory's "encrypted" flag bit
    assert refused(check_zip, bytes(data), LIMITS) == "encrypted_file"


def test_reading_stops_at_the_bound_whatever_the_directory_said():
    """Skipping check_zip, as a lying directory would: the bytes really unpacked are what count."""
    data = archive({"[Content_Types].xml": b"", "big.xml": b"x" * (20 * MB)})
    with BoundedZipFile(data, LIMITS) as bounded, pytest.raises(AppError) as caught, bounded.open("big.xml") as part:
        part.read()
    assert caught.value.code == "unpacks_too_large"
    assert bounded.unpacked["big.xml"] <= LIMITS.max_part + MB  # stopped within one chunk of the bound


def test_parts_add_up_and_a_part_read_twice_counts_once():
    data = archive({"[Content_Types].xml": b"", "a.xml": b"a" * MB, "b.xml": b"b" * MB, "c.xml": b"c" * (MB + 1)})
    with BoundedZipFile(data, LIMITS) as bounded:
        for name in ("a.xml", "a.xml", "b.xml", "b.xml"):
            assert len(bounded.read(name)) == MB
        with pytest.raises(AppError) as caught:
            bounded.read("c.xml")
    assert caught.value.code == "unpacks_too_large"


def test_a_part_longer_than_declared_is_refused_as_damaged():
    liar = with_declared_size(archive({"[Content_Types].xml": b"", "big.xml": b"x" * (10 * MB)}), "big.xml", 1000)
    check_zip(liar, LIMITS)  # the directory alone looks harmless
    with BoundedZipFile(liar, LIMITS) as bounded:
        assert refused(bounded.read, "big.xml") == "not_document"
        assert bounded.unpacked.get("big.xml", 0) <= 1000


def test_an_uploaded_workbook_is_read_through_the_counting_archive():
    book = open_upload(template_workbook(["甲一支部"]))
    try:
        assert next(book.worksheets[0].iter_rows(values_only=True))[0] == "姓名*"
        assert isinstance(book._archive, BoundedZipFile)
        assert book._archive.unpacked["xl/worksheets/sheet1.xml"] > 0
    finally:
        book.close()


def test_a_workbook_bomb_never_reaches_openpyxl():
    bomb = shared_strings_bomb(template_workbook(["甲一支部"]), megabytes=100)
    assert refused(open_upload, bomb) == "unpacks_too_large"
    liar = with_declared_size(bomb, SHARED_STRINGS, 1000)
    assert refused(open_upload, liar) == "not_excel"


def photo(image_format: str, size: tuple[int, int] = (6, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format=image_format)
    return buffer.getvalue()


def test_an_image_is_known_by_its_header_without_decoding():
    info = check_image(photo("PNG", (6, 4)))
    assert (info.content_type, info.width, info.height) == ("image/png", 6, 4)
    assert check_image(photo("JPEG")).content_type == "image/jpeg"
    assert check_image(png_declaring(6_000, 4_000)).width == 6_000  # 24 megapixels: a phone photo
    assert refused(check_image, photo("PNG", (6, 4)), 20) == "photo_too_many_pixels"


@pytest.mark.parametrize(
    "data",
    [png_declaring(30_000, 30_000), png_declaring(8_000, 7_000), jpeg_declaring(60_000, 60_000)],
    ids=["png-error", "png-warning", "jpeg"],
)
def test_a_decompression_bomb_image_is_refused(data):
    assert refused(check_image, data) == "photo_too_many_pixels"


@pytest.mark.parametrize(
    "data",
    [photo("GIF"), photo("BMP"), photo("WEBP"), b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"\xff\xd8\xff" + b"\x00" * 64],
    ids=["gif", "bmp", "webp", "png-signature-only", "jpeg-signature-only"],
)
def test_anything_but_a_whole_jpeg_or_png_is_refused(data):
    assert refused(check_image, data) == "photo_type"
