"""Minutes chain heads anchored outside the database.

The hash chain shows any change inside it, but not a cut at its end: whoever deletes the newest
finalised minutes together with their audit entries leaves a shorter chain that is intact in itself.
So the head of each organisation's chain (its length and last hash) is signed with a key the database
does not hold and appended to a file outside the database, hourly. Verification reads the file back:
an anchored head the chain no longer has, or a chain shorter than an anchored length, is a truncation.
The same signature is printed on every finalised record, so a paper copy anchors the chain as well.

The file (``MINUTES_ANCHOR_DIR``/minutes-anchors.tsv) is only ever appended to, one line a head::

    v1 <TAB> organisation id <TAB> position <TAB> hash <TAB> exported at (UTC) <TAB> signature

The signature covers the organisation, the position and the hash; the time is there for people.
This module knows the file and the key; :mod:`server.meetings.minutes` knows the chains.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import defaultdict
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from server.db import utcnow

VERSION = "v1"
FILENAME = "minutes-anchors.tsv"
HEADER = (
    "# eDangwu 会议记录链锚点 / minutes chain anchors: version, organisation, position, hash, UTC time, signature\n"
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Anchor:
    org_id: int
    #: the chain's length when anchored: its head is element number ``position``
    position: int
    content_hash: str
    #: when exported, as shown to people (display time zone); not signed
    exported_at: str
    #: line number in the file
    line: int


@dataclass
class AnchorFile:
    """What the file says, for the organisations asked about."""

    #: anchors with a good signature, by organisation, in file order
    anchors: dict[int, list[Anchor]] = field(default_factory=lambda: defaultdict(list))
    #: line numbers of anchors with a bad signature, by organisation
    forged: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: line numbers that are no anchor at all (whose organisation cannot be told)
    unreadable: list[int] = field(default_factory=list)


def _key() -> bytes:
    if configured := current_app.config.get("MINUTES_ANCHOR_KEY"):
        return configured.encode()
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"edangwu minutes chain anchors", hashlib.sha256).digest()


def sign(org_id: int, position: int, content_hash: str) -> str:
    """The signature of "this organisation's chain had this hash at this position"."""
    message = f"edangwu-minutes-anchor|{VERSION}|{org_id}|{position}|{content_hash}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()[:32]


def anchor_file() -> Path:
    return Path(current_app.config["MINUTES_ANCHOR_DIR"]) / FILENAME


def _parse(text: str) -> tuple[int, int, str, str, str] | None:
    parts = text.split("\t")
    if len(parts) != 6 or parts[0] != VERSION or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    if not _HEX64.fullmatch(parts[3]) or not _SIGNATURE.fullmatch(parts[5]) or int(parts[2]) < 1:
        return None
    try:
        exported_at = datetime.fromisoformat(parts[4])
    except ValueError:
        return None
    if exported_at.tzinfo is None:
        return None
    # Unsigned, so shown only as a time in the display zone, never as whatever text the line holds.
    shown = exported_at.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
    return int(parts[1]), int(parts[2]), parts[3], shown, parts[5]


def read(org_ids: Container[int] | None = None) -> AnchorFile:
    """The anchors of ``org_ids`` (every organisation when None); lines nobody can read are kept only
    for the whole deployment. A missing file is an empty one: records then go unanchored, which
    verification reports once they are past the grace period."""
    found = AnchorFile()
    path = anchor_file()
    if not path.exists():
        return found
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, raw in enumerate(lines, start=1):
            text = raw.rstrip("\n")
            if not text.strip() or text.startswith("#"):
                continue
            parsed = _parse(text)
            if parsed is None:
                if org_ids is None:
                    found.unreadable.append(number)
                continue
            org_id, position, content_hash, exported_at, signature = parsed
            if org_ids is not None and org_id not in org_ids:
                continue
            if hmac.compare_digest(signature, sign(org_id, position, content_hash)):
                found.anchors[org_id].append(Anchor(org_id, position, content_hash, exported_at, number))
            else:
                found.forged[org_id].append(number)
    return found


def append(heads: Iterable[tuple[int, int, str]]) -> int:
    """Append signed heads (organisation, position, hash) in one write; returns how many."""
    now = utcnow().isoformat(timespec="seconds")
    lines = [f"{VERSION}\t{org}\t{pos}\t{digest}\t{now}\t{sign(org, pos, digest)}\n" for org, pos, digest in heads]
    if not lines:
        return 0
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: never rewrite what is there, and several writers do not overwrite each other's lines.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        data = ((HEADER if os.fstat(fd).st_size == 0 else "") + "".join(lines)).encode()
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(lines)


def last_positions(found: AnchorFile) -> dict[int, int]:
    """The longest anchored length of each organisation's chain."""
    return {org_id: max(a.position for a in anchors) for org_id, anchors in found.anchors.items() if anchors}


def check(org_id: int, chain: list[tuple[str, datetime]], found: AnchorFile, report: Any) -> None:
    """Hold one organisation's chain (hash and join time of each element, in order) against its anchors.

    Reports lines with a bad signature (and trusts nothing they say), the first anchor the chain no
    longer matches (a cut end, or a chain rewritten with fresh hashes), and elements still unanchored
    after the grace period (the export stopped, or the file was cut).
    """
    for line in found.forged.get(org_id, []):
        report.add("anchor", line, f"锚点文件第 {line} 行签名无效，不予采信（可能是伪造的锚点）")
    for anchor in sorted(found.anchors.get(org_id, []), key=lambda a: (a.position, a.line)):
        if anchor.position > len(chain):
            report.add(
                "anchor",
                anchor.position,
                f"锚点显示本组织的会议记录链曾有第 {anchor.position} 条（{anchor.exported_at} 导出），"
                f"现在链上只有 {len(chain)} 条：链尾的记录被删除（截断）",
            )
            break
        if chain[anchor.position - 1][0] != anchor.content_hash:
            report.add(
                "anchor",
                anchor.position,
                f"锚点记录的第 {anchor.position} 条（校验值 {anchor.content_hash[:16]}…，{anchor.exported_at} 导出）"
                "已不在链上：记录被删除、插入或整条链被改写",
            )
            break
    _check_unanchored(org_id, chain, found, report)


def _check_unanchored(org_id: int, chain: list[tuple[str, datetime]], found: AnchorFile, report: Any) -> None:
    grace = current_app.config["MINUTES_ANCHOR_GRACE_HOURS"]
    anchored = last_positions(found).get(org_id, 0)
    overdue = utcnow() - timedelta(hours=grace)
    for position, (_, joined_at) in enumerate(chain[anchored:], start=anchored + 1):
        if joined_at <= overdue:
            report.add(
                "anchor",
                position,
                f"第 {position} 条记录定稿已超过 {grace} 小时，仍不在锚点文件中：锚点导出没有运行，或锚点文件被删改",
            )
            return
