"""Taking files from users without letting one file take the server down.

A small upload can still be a bomb: a 0.5 MB workbook may unpack to 200 MB of text, a 100-byte PNG may
promise 30,000 x 30,000 pixels. Every upload route uses this module, in this order:

1. ``@upload_limit(max_bytes, "中文说明")`` on the view: the request body is refused before it is read
   (and before the CSRF check parses the form), with a message that says what to do.
2. ``read_upload(file, max_bytes, message)``: the file's bytes, never more than ``max_bytes``.
3. By content, never by the file's name or the browser's claimed type:
   - ``check_photo(data)`` for photos: at most 5 MB, JPEG or PNG, pixels counted from the header
     before anything is decoded (``check_image`` with other bounds);
   - ``check_zip(data, limits)`` for zip-based documents (.xlsx): the directory is valid, the required
     parts are there, declared sizes and compression ratios are sane; nothing is decompressed.
4. When a zip is read for real (in a background job, never in the request), ``BoundedZipFile`` counts
   the bytes actually decompressed and stops at the same bounds, so a header that lies gets nowhere.

Every refusal is an :class:`AppError` (status 400, or 413 for size) with a Chinese message.
``sniff(data)`` names the type of a few formats by their first bytes.
"""

from __future__ import annotations

import io
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from flask import Flask, current_app, request
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from server.errors import AppError

MB = 1024 * 1024
#: room in a request body for the multipart framing, the CSRF token and a few short fields
FORM_OVERHEAD = 64 * 1024

#: photos (minutes today; the newspaper and notices later): JPEG or PNG only
PHOTO_TYPES = ("image/jpeg", "image/png")
PHOTO_MAX_BYTES = 5 * MB
#: 50 megapixels: a phone's full-resolution photo fits, a decompression bomb does not (decoding one
#: such image takes 150 MB; Pillow's own default limit is 89 megapixels).
PHOTO_MAX_PIXELS = 50_000_000
PHOTO_TOO_LARGE = f"照片不能超过 {PHOTO_MAX_BYTES // MB} MB"

# Pillow refuses (DecompressionBombError) images over twice this and warns over it: enforce ours
# wherever the app opens an image, not only where this module is called.
Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"%PDF-", "application/pdf"),
    (b"GIF8", "image/gif"),
)
_PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def sniff(data: bytes) -> str | None:
    """The content type that ``data``'s first bytes show, or None for anything else."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


# --- 1. and 2. the byte size ----------------------------------------------------------------------------


def upload_limit(max_bytes: int, message: str) -> Callable:
    """Refuse a request body over ``max_bytes`` (413, ``message``) before any of it is read.

    ``max_bytes`` is the whole body: the files plus ``FORM_OVERHEAD`` for the multipart framing and the
    form's other fields. Never above the app's ``MAX_CONTENT_LENGTH``. Put it below ``@bp.route``.
    """

    def decorator(view: Callable) -> Callable:
        view.upload_limit = (max_bytes, message)  # type: ignore[attr-defined]
        return view

    return decorator


def init_app(app: Flask) -> None:
    """Install the size check. Call it before ``csrf.init_app``: the CSRF check reads (parses) the form."""
    app.before_request(_apply_upload_limit)


def _apply_upload_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "upload_limit", None)
    if limit is None:
        return
    max_bytes, message = limit
    max_bytes = min(max_bytes, current_app.config.get("MAX_CONTENT_LENGTH") or max_bytes)
    if request.content_length is not None and request.content_length > max_bytes:
        raise AppError("upload_too_large", message, status=413)
    # A body sent without a length (chunked; browsers never do) is cut off at the bound by Werkzeug while
    # the form is parsed, with the generic 413 answer.
    request.max_content_length = max_bytes


def read_upload(upload: FileStorage, max_bytes: int, message: str, code: str = "upload_too_large") -> bytes:
    """The uploaded file's bytes, never reading more than ``max_bytes`` + 1; larger files are refused."""
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AppError(code, message, status=413)
    return data


# --- 3. images -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def check_image(data: bytes, max_pixels: int = PHOTO_MAX_PIXELS) -> ImageInfo:
    """A JPEG or PNG whose header promises at most ``max_pixels``; nothing is decoded.

    Pillow reads only the header to learn the format and size. Its own bomb guard (a warning past
    ``Image.MAX_IMAGE_PIXELS``, an error past twice that) is turned into the same refusal.
    """
    if sniff(data) not in PHOTO_TYPES:
        raise AppError("photo_type", "只能上传 JPG 或 PNG 格式的照片")
    try:
        with warnings.catch_warnings():  # per process: gunicorn's workers are processes, not threads
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=tuple(_PILLOW_FORMATS)) as image:
                kind, (width, height) = _PILLOW_FORMATS.get(image.format or ""), image.size
                if width * height <= max_pixels:
                    image.verify()  # the structure (PNG chunks and their checksums), still without decoding
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AppError("photo_type", "照片文件已损坏或不是 JPG、PNG 格式") from exc
    if kind is None or kind != sniff(data):
        raise AppError("photo_type", "只能上传 JPG 或 PNG 格式的照片")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return ImageInfo(kind, width, height)


def check_photo(data: bytes) -> ImageInfo:
    """A photo as every feature takes one: at most ``PHOTO_MAX_BYTES``, then :func:`check_image`."""
    if len(data) > PHOTO_MAX_BYTES:
        raise AppError("photo_too_large", PHOTO_TOO_LARGE)
    return check_image(data)


def _too_many_pixels(max_pixels: int) -> AppError:
    return AppError("photo_too_many_pixels", f"照片像素过多（超过 {max_pixels // 10_000} 万像素），请缩小后再上传")


# --- 3. and 4. zip archives ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipLimits:
    """What one kind of zip-based document may hold, and what to say when a file is not one."""

    #: parts the document cannot be without (e.g. "[Content_Types].xml")
    required: tuple[str, ...]
    #: the refusal of a file that is not such a document: (code, Chinese message)
    not_valid: tuple[str, str]
    #: all parts together, unpacked
    max_total: int
    #: any one part, unpacked
    max_part: int
    #: unpacked / packed size of any part over ``ratio_from``: text packs 5-20 to 1, a bomb 1000 to 1
    max_ratio: int = 100
    ratio_from: int = 1 * MB
    max_parts: int = 1000


def check_zip(data: bytes, limits: ZipLimits) -> None:
    """Refuse ``data`` unless it is a zip with the required parts and sane declared sizes.

    Reads only the central directory, nothing is decompressed: cheap enough for the web request.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise AppError(*limits.not_valid) from exc
    names = {part.filename for part in parts}
    if len(parts) > limits.max_parts or any(name not in names for name in limits.required):
        raise AppError(*limits.not_valid)
    if any(part.flag_bits & 0x1 for part in parts):  # encrypted: unreadable without the password anyway
        raise AppError("encrypted_file", "文件设置了密码，请取消密码保护后重新上传")
    for part in parts:
        _check_sizes(part.file_size, 0, limits)
        if part.file_size > limits.ratio_from and part.file_size > limits.max_ratio * max(part.compress_size, 1):
            raise _unpacks_too_large()
    _check_sizes(0, sum(part.file_size for part in parts), limits)


def _check_sizes(part: int, total: int, limits: ZipLimits) -> None:
    if part > limits.max_part or total > limits.max_total:
        raise _unpacks_too_large()


def _unpacks_too_large() -> AppError:
    # One answer for every bound: which one was hit helps nobody but someone tuning a bomb.
    return AppError("unpacks_too_large", "文件解压后的内容过大或压缩比异常，已拒绝。请删除多余的内容后重新保存再上传")


class BoundedZipFile(zipfile.ZipFile):
    """A read-only ZipFile that counts what it really decompresses and stops at ``limits``.

    The declared sizes were checked by :func:`check_zip`; these counts hold even if they lied. A part
    read twice (a sheet is read once to count its rows, once to check them) counts once.
    """

    def __init__(self, data: bytes, limits: ZipLimits) -> None:
        super().__init__(io.BytesIO(data))
        self.limits = limits
        self.unpacked: dict[str, int] = {}  # part name -> most bytes unpacked from it in one reading
        self._part_limits: dict[str, int] = {}

    def limit_part(self, name: str, max_bytes: int) -> None:
        """A tighter bound for one part, e.g. one that the reader holds in memory whole."""
        self._part_limits[name] = max_bytes

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, **kwargs: Any) -> IO[bytes]:  # type: ignore[override]
        member = super().open(name, mode, pwd, **kwargs)
        return _CountingReader(member, self) if mode == "r" else member

    def count(self, name: str, part_so_far: int) -> None:
        self.unpacked[name] = max(self.unpacked.get(name, 0), part_so_far)
        _check_sizes(part_so_far, sum(self.unpacked.values()), self.limits)
        if part_so_far > self._part_limits.get(name, part_so_far):
            raise _unpacks_too_large()


class _CountingReader(io.RawIOBase):
    """One part being read; every chunk is counted before the parser sees it."""

    def __init__(self, member: IO[bytes], archive: BoundedZipFile) -> None:
        self._member, self._archive, self._read = member, archive, 0
        self._name: str = getattr(member, "name", "")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            chunk = self._member.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a bad checksum, a truncated stream
            raise AppError(*self._archive.limits.not_valid) from exc
        self._read += len(chunk)
        self._archive.count(self._name, self._read)
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        buffer = bytearray(size)
        return bytes(buffer[: self.readinto(buffer)])

    def readall(self) -> bytes:
        # In chunks, so that a lying part is stopped at the bound, not after it has been unpacked whole.
        chunks = []
        while chunk := self.read(1 * MB):
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._member.close()
        super().close()
