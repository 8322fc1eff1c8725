"""The files a deployment keeps outside the database, and how they go into and out of a backup's tar.

Uploaded files have random names and are never rewritten, so a restore only adds what is missing and
never overwrites a file that is there. The live anchor file is always kept: after a restore it is ahead
of the database, which is what it is for (deploy/README.md, "Minutes anchors").
"""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from server.config import instance_dir

ANCHORS = "minutes-anchors"
SECRET_KEY = "secret_key"


def file_sets(config: Mapping[str, Any]) -> dict[str, Path]:
    """Name in the backup → directory on this machine (the same defaults as the code that writes them)."""
    instance = instance_dir()
    return {
        ANCHORS: Path(config["MINUTES_ANCHOR_DIR"]),
        "newspaper-images": Path(config.get("NEWS_IMAGE_DIR") or instance / "newspaper" / "images"),
        "notice-files": Path(config.get("NOTICE_FILE_DIR") or instance / "notices" / "files"),
    }


ANCHOR_FILE = "minutes-anchors.tsv"


def write_tar(config: Mapping[str, Any], target: Path, anchors_copy: Path | None = None) -> dict[str, int]:
    """Every file set into ``target``; returns how many files each set held.

    ``anchors_copy``: the anchor file as copied earlier, stored in place of the live one.
    """
    counts: dict[str, int] = {}
    with tarfile.open(target, "w") as tar:  # images and PDFs are compressed already
        for name, directory in file_sets(config).items():
            counts[name] = 0
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                # ".x.part": an upload being written right now, not a stored file yet
                if path.is_file() and not path.name.startswith("."):
                    taken = anchors_copy if anchors_copy and name == ANCHORS and path.name == ANCHOR_FILE else path
                    tar.add(taken, arcname=f"{name}/{path.name}")
                    counts[name] += 1
        # The embedded default's generated key signs the minutes anchors there; production keeps
        # SECRET_KEY in /etc/edangwu/env, which is backed up apart from the data (never in a dump).
        key = instance_dir() / SECRET_KEY
        if not config.get("SECRET_KEY_FROM_ENVIRONMENT") and key.is_file():
            tar.add(key, arcname=SECRET_KEY)
    return counts


def extract(tar_path: Path, destinations: Mapping[str, Path]) -> dict[str, int]:
    """Unpack each file set into its destination, adding only files that are not there; returns counts.

    Only plain files directly inside a known set are taken, by their bare name: nothing in the tar can
    write anywhere else.
    """
    added = dict.fromkeys(destinations, 0)
    with tarfile.open(tar_path) as tar:
        for member in tar:
            name, _, filename = member.name.partition("/")
            if member.name == SECRET_KEY:  # the embedded default's key, at the top of the tar
                name = filename = SECRET_KEY
            if name not in destinations or not member.isfile() or not _plain(filename):
                continue
            directory = destinations[name]
            directory.mkdir(parents=True, exist_ok=True)
            if (directory / filename).exists():
                continue
            temporary = directory / f".{filename}.restoring"
            source = tar.extractfile(member)
            assert source is not None  # a regular file always has content
            with source, temporary.open("wb") as out:
                shutil.copyfileobj(source, out)
            if name == SECRET_KEY:
                temporary.chmod(0o600)
            os.replace(temporary, directory / filename)  # whole or not at all
            added[name] += 1
    return added


def _plain(filename: str) -> bool:
    return bool(filename) and "/" not in filename and not filename.startswith(".")
