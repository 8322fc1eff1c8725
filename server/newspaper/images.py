"""Cover and inline images of articles: judged by their bytes, never decoded before they are known to be safe,
made phone-sized and stored under a random name.

In order: the size (at most ``MAX_BYTES``) before anything else; the type from the first bytes (JPEG, PNG
or WebP, whatever the name or the browser says); the pixel count from the header alone, with Pillow's
decompression-bomb guard turned into a refusal; only then decoding, turning by the EXIF orientation,
shrinking to at most ``MAX_WIDTH`` pixels wide, and encoding anew (JPEG, or PNG where the picture has
transparency), which leaves the camera's metadata (place, device) behind. The name is 128 random bits,
so an image's address cannot be guessed; the serving route is server/newspaper/media.py.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from server.config import instance_dir
from server.errors import AppError

MB = 1024 * 1024
MAX_BYTES = 5 * MB
MAX_WIDTH = 1080
#: 40 megapixels: a phone's photo fits, a bomb does not (decoding one costs ~120 MB)
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
_SIGNATURES = {"JPEG": (b"\xff\xd8\xff",), "PNG": (b"\x89PNG\r\n\x1a\n",)}
TOO_LARGE = f"图片不能超过 {MAX_BYTES // MB} MB"
WRONG_TYPE = "只能上传 JPG、PNG 或 WebP 格式的图片"


def _type_of(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((kind for kind, magics in _SIGNATURES.items() if data.startswith(magics)), None)


def images_dir() -> Path:
    path = Path(current_app.config.get("NEWS_IMAGE_DIR") or instance_dir() / "newspaper" / "images")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _open(data: bytes, kind: str) -> Image.Image:
    """Decode, refusing a picture whose header promises more than ``MAX_PIXELS``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=(kind,))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise AppError("image_too_many_pixels", "图片像素过多，请缩小后再上传")
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise AppError("image_too_many_pixels", "图片像素过多，请缩小后再上传") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise AppError("image_broken", "图片文件已损坏，请换一张") from exc
    return image


def _phone_sized(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    if image.width > MAX_WIDTH:
        height = max(1, round(image.height * MAX_WIDTH / image.width))
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    return image


def _encode(image: Image.Image) -> tuple[bytes, str]:
    """JPEG, or PNG where transparency matters; no metadata is copied."""
    buffer = io.BytesIO()
    transparent = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    if transparent:
        image.convert("RGBA").save(buffer, format="PNG", optimize=True)
        return buffer.getvalue(), "png"
    image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue(), "jpg"


def prepare(data: bytes) -> tuple[bytes, str]:
    """Check an uploaded image and make it phone-sized, without metadata: its bytes and extension.

    Also used for notices' image attachments (server/notices/attachments.py)."""
    if len(data) > MAX_BYTES:
        raise AppError("image_too_large", TOO_LARGE, status=413)
    kind = _type_of(data)
    if kind is None:
        raise AppError("image_type", WRONG_TYPE)
    return _encode(_phone_sized(_open(data, kind)))


def store(data: bytes) -> str:
    """Check, resize and store an uploaded image; its stored name (``<32 hex>.jpg`` or ``.png``)."""
    encoded, extension = prepare(data)
    name = f"{secrets.token_hex(16)}.{extension}"
    directory = images_dir()
    temporary = directory / f".{name}.part"
    temporary.write_bytes(encoded)
    os.replace(temporary, directory / name)  # whole or not at all
    return name


def path_of(name: str) -> Path | None:
    """Where a stored image is, or None for a name that is not one of ours (or no longer there)."""
    if not NAME.match(name):
        return None
    path = images_dir() / name
    return path if path.is_file() else None
