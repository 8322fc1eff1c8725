"""Excel in and out, one way everywhere: the content type, text that never runs as a formula, and
opening an uploaded workbook without letting it take the server down.

Exports write every text cell through :func:`text_cell` (write-only sheets) or :func:`set_text`
(ordinary ones). Uploads go ``check_upload`` in the web request (the zip's directory only), then
``open_upload`` in the background job (openpyxl in read-only mode over a byte-counting archive).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.constants import SHARED_STRINGS

from server.errors import AppError
from server.uploads import MB, BoundedZipFile, ZipLimits, check_zip

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: a 20,000-row register (the import's row cap) written by openpyxl, the most verbose writer, is 2 MB
XLSX_MAX_BYTES = 5 * MB
XLSX_TOO_LARGE = f"Excel 文件不能超过 {XLSX_MAX_BYTES // MB} MB；请删除图片等无关内容，或分批导入"
NOT_EXCEL = ("not_excel", "文件不是有效的 Excel（.xlsx）文件，请用模板填写后上传")
#: That register's sheet unpacks to 17 MB (the sheet is streamed): no part over 32 MB, 64 MB in all.
XLSX_LIMITS = ZipLimits(
    required=("[Content_Types].xml", "xl/workbook.xml"), not_valid=NOT_EXCEL, max_total=64 * MB, max_part=32 * MB
)
#: The shared-strings table is held in memory whole, at about seven times its size when every string
#: is distinct (bench/upload_bench.py). That register's table is 2-3 MB.
XLSX_MAX_SHARED_STRINGS = 16 * MB

#: the container of .xls files and of password-protected .xlsx ones
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: Text starting with one of these is a formula to Excel once the cell is edited or saved as CSV.
FORMULA_PREFIXES = ("=", "+", "-", "@")


# --- writing -------------------------------------------------------------------------------------------


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _as_text(cell) -> Any:
    # "s" stops openpyxl from writing "=…" as a formula; the quote prefix (Excel's leading apostrophe,
    # not part of the value) keeps it text when someone edits the cell. The value itself is unchanged,
    # so an exported register imports again as it was.
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def text_cell(sheet, value: Any) -> Any:
    """``value`` ready for ``sheet.append`` on a write-only sheet: formula-like text stays text."""
    return _as_text(WriteOnlyCell(sheet, value)) if _formula_like(value) else value


def set_text(cell, value: Any) -> Any:
    """Put ``value`` into an ordinary worksheet's ``cell``; formula-like text stays text."""
    cell.value = value
    return _as_text(cell) if _formula_like(value) else cell


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def send_xlsx(content: bytes, download_name: str) -> Response:
    """A workbook as a download, under ``download_name`` (Chinese names are fine)."""
    return send_file(io.BytesIO(content), mimetype=XLSX_CONTENT_TYPE, as_attachment=True, download_name=download_name)


# --- reading uploads -----------------------------------------------------------------------------------


def check_upload(content: bytes) -> None:
    """Refuse what is not an .xlsx or would unpack too large; cheap (no decompression), for the request."""
    if content.startswith(_OLE_SIGNATURE):
        raise AppError("not_excel", "这是旧版 Excel（.xls）或设置了密码的文件，请取消密码并另存为 .xlsx 后上传")
    check_zip(content, XLSX_LIMITS)


def open_upload(content: bytes):
    """An uploaded workbook opened for reading rows, for background jobs only.

    Values, never formulas (``data_only``): a formula's text never enters the database. Read-only
    mode streams the sheets; every byte unpacked is counted against ``XLSX_LIMITS``.
    """
    check_upload(content)
    try:
        reader = _BoundedReader(io.BytesIO(content), read_only=True, data_only=True)
        # openpyxl's own archive is replaced, before anything is unpacked, by one that counts.
        reader.archive.close()
        reader.archive = BoundedZipFile(content, XLSX_LIMITS)
        reader.read()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise AppError(*NOT_EXCEL) from exc
    return reader.wb


class _BoundedReader(ExcelReader):
    """openpyxl's reader, holding its shared-strings table (read whole into memory) to a tighter bound."""

    archive: BoundedZipFile

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            self.archive.limit_part(part.PartName[1:], XLSX_MAX_SHARED_STRINGS)
        super().read_strings()
