"""Opaque random tokens and one-time codes; only their SHA-256 digests are stored."""

import hashlib
import secrets

# No 0/O, 1/I/L: an invite code is read aloud and typed on a phone.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_LENGTH = 8


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def normalise_invite_code(code: str) -> str:
    return code.strip().upper().replace(" ", "").replace("-", "")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
