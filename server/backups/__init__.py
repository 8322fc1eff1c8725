"""Backups: the database and the files stored beside it, taken on a schedule, pruned, and restored.

A backup is one directory, ``BACKUP_DIR/edangwu-<UTC time>``, written under a temporary name and renamed
when complete (a half-written backup never looks like one):

- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (the embedded
  default, copied with SQLite's online backup API, consistent while the app writes);
- ``files.tar``: the minutes anchor file, newspaper images and notice attachments (and, in the
  embedded default only, the generated ``secret_key`` that signs anchors there);
- ``manifest.json``: when, which schema revision, and a SHA-256 of each part, checked before a restore.

``archive`` writes one, ``retention`` says which to keep, ``restore`` puts one into a fresh database,
``cli`` gives the operator ``flask backup`` and ``flask restore-backup`` (deploy/README.md, "Backups").
"""
