"""Files an attacker would upload: archives and images that are small on the wire and huge once opened.

Shared by the upload tests and ``bench/upload_bench.py``. Everything is written in a streaming way, so
building a 200 MB bomb costs the test a second, not 200 MB of memory.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

SHARED_STRINGS = "xl/sharedStrings.xml"
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_MB = 1024 * 1024


def shared_strings_bomb(workbook: bytes, megabytes: int, *, unique: bool = False) -> bytes:
    """``workbook`` plus a shared-strings part of about ``megabytes`` MB.

    Each ``<si>`` becomes a Python string when openpyxl loads the table, so the part costs several
    times its size in memory. By default every string is "x": the part packs about 1000 to 1, a 200 MB
    table travels in 0.5 MB. ``unique`` numbers the strings instead (each one distinct, as a dictionary
    of them costs most): the part packs only about 8 to 1, and passes any compression-ratio check.
    """
    source, target = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{SHARED_STRINGS}" ContentType="{_SHARED_STRINGS_TYPE}" />'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            out.writestr(item, data)
        with out.open(SHARED_STRINGS, "w") as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            entries = _MB // 17
            for block in range(megabytes):
                if unique:
                    first = block * entries
                    part.write(b"".join(b"<si><t>%d</t></si>" % n for n in range(first, first + entries)))
                else:
                    part.write(b"<si><t>x</t></si>" * entries)
            part.write(b"</sst>")
    return target.getvalue()


def with_declared_size(archive: bytes, name: str, declared: int) -> bytes:
    """``archive`` with the uncompressed size of ``name`` rewritten in both headers: a lying archive.

    The compressed data is untouched, so reading the part yields its real size, not the declared one.
    """
    data, listing = bytearray(archive), zipfile.ZipFile(io.BytesIO(archive))
    position = listing.start_dir  # the central directory: one 46-byte header + name, extra, comment each
    for info in listing.infolist():
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if info.filename == name:
            struct.pack_into("<I", data, position + 24, declared)
            struct.pack_into("<I", data, info.header_offset + 22, declared)  # the local header's copy
            return bytes(data)
        position += 46 + name_length + extra_length + comment_length
    raise KeyError(name)


def multipart(fields: dict[str, Any]) -> dict[str, Any]:
    """The test client's ``post`` arguments for a form, encoded in memory.

    Values are text, ``(bytes, filename)`` or lists of those. Left to itself, the test client spools a
    body over 500 KB to a temporary file it never closes, and pytest then fails whichever test runs
    when that file is collected (warnings are errors).
    """

    def encode(value: Any) -> Any:
        if isinstance(value, list):
            return [encode(item) for item in value]
        if isinstance(value, tuple):
            return FileStorage(io.BytesIO(value[0]), filename=value[1])
        return value

    boundary, body = encode_multipart({key: encode(value) for key, value in fields.items()})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


class UnreadableBody(io.RawIOBase):
    """A request body of ``size`` bytes that fails the test if the server reads any of it."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size, self.position = size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        # the test client seeks to the end and back to learn the Content-Length it sends
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer):
        raise AssertionError("the request body was read")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A tiny real JPEG whose frame header (SOF0) is rewritten to promise ``width`` x ``height``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")  # marker, length (2), precision (1), height (2), width (2)
    struct.pack_into(">HH", data, frame + 5, height, width)
    return bytes(data)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of under 100 bytes whose header promises ``width`` x ``height`` grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )
