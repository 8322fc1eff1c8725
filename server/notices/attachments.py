"""A notice's one attachment: an image (JPEG, PNG or WebP, re-encoded phone-sized without the camera's
metadata, as the newspaper's images) or a PDF, judged by its bytes, never by its name or claimed type.

The request body is bounded before it is parsed (``@upload_limit`` on the view), the file is read to at
most ``MAX_PDF_BYTES``; a PDF must start with ``%PDF-`` and end with ``%%EOF`` (a truncated or disguised
file is refused) and is stored as it came: nothing here parses it. Files are stored under a 128-bit
random name and served only to the notice's recipients and the admins of its organisation.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from werkzeug.datastructures import FileStorage

from server.config import instance_dir
from server.errors import AppError, NotFound
from server.newspaper import images
from server.notices.models import AttachmentKind
from server.uploads import MB, read_upload, sniff

MAX_PDF_BYTES = 10 * MB
MAX_IMAGE_BYTES = images.MAX_BYTES
#: the whole compose form may carry the largest attachment and its fields
MAX_FORM_BYTES = MAX_PDF_BYTES + 256 * 1024
TOO_LARGE = f"附件不能超过 {MAX_PDF_BYTES // MB} MB（图片不超过 {MAX_IMAGE_BYTES // MB} MB）"
WRONG_TYPE = "附件只能是 PDF 文件或 JPG、PNG 图片"
BROKEN_PDF = "PDF 文件不完整或已损坏，请重新导出后上传"
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|pdf)$")
#: how the PDF's end marker may be followed: a newline or two, some writers add spaces
_PDF_TAIL = 1024


@dataclass(frozen=True)
class Stored:
    name: str
    kind: AttachmentKind
    original: str


def attachments_dir() -> Path:
    path = Path(current_app.config.get("NOTICE_FILE_DIR") or instance_dir() / "notices" / "files")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(content: bytes, extension: str) -> str:
    name = f"{secrets.token_hex(16)}.{extension}"
    directory = attachments_dir()
    temporary = directory / f".{name}.part"
    temporary.write_bytes(content)
    os.replace(temporary, directory / name)  # whole or not at all
    return name


def _display_name(filename: str | None, extension: str) -> str:
    """The uploaded name without any folder, at most 100 characters, for members to recognise the file."""
    base = re.split(r"[\\/]", filename or "")[-1].strip() or f"附件.{extension}"
    return base[-100:]


def store(upload: FileStorage | None) -> Stored | None:
    """Check and store the uploaded attachment; None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    data = read_upload(upload, MAX_PDF_BYTES, TOO_LARGE)
    if not data:
        return None
    kind = sniff(data)
    if kind == "application/pdf":
        if b"%%EOF" not in data[-_PDF_TAIL:]:
            raise AppError("attachment_broken", BROKEN_PDF)
        return Stored(_write(data, "pdf"), AttachmentKind.PDF, _display_name(upload.filename, "pdf"))
    if kind in ("image/jpeg", "image/png") or data[:4] == b"RIFF":
        if len(data) > MAX_IMAGE_BYTES:
            raise AppError("attachment_too_large", TOO_LARGE, status=413)
        encoded, extension = images.prepare(data)
        return Stored(_write(encoded, extension), AttachmentKind.IMAGE, _display_name(upload.filename, extension))
    raise AppError("attachment_type", WRONG_TYPE)


def path_of(name: str | None) -> Path | None:
    if not name or not NAME.match(name):
        return None
    path = attachments_dir() / name
    return path if path.is_file() else None


def mimetype(name: str) -> str:
    return {"pdf": "application/pdf", "png": "image/png"}.get(name.rsplit(".", 1)[-1], "image/jpeg")


def download(name: str | None, download_name: str):
    """The stored file as a response, read whole (at most ``MAX_PDF_BYTES``): no file stays open after it."""
    path = path_of(name)
    if path is None:
        raise NotFound("附件不存在")
    content = io.BytesIO(path.read_bytes())
    return send_file(content, mimetype=mimetype(path.name), download_name=download_name, max_age=0)
