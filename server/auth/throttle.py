"""Growing waits after failed admin logins, counted per account, per address and per (account, address).

A password guesser is slowed, never answered differently: during a wait the login is refused with the
same words as a wrong password (``admin_services.authenticate``), so neither the wait nor the answer
tells whether an account exists. Unknown names are counted exactly like real ones.

Three counts, each with a few free failures and then a wait that doubles with every further failure:

- one account from one address bites hardest: the guesser at their keyboard;
- one account from anywhere: a guesser with many addresses. Its wait is capped low, and it does not
  apply at an address where the account has logged in before, so a stranger cannot keep a secretary
  out of the admin;
- one address over all names: trying one password on many accounts. Offices share an address, so it
  too spares addresses where the account has logged in before.

The counts live in the rate limiter's storage (Redis in production, so every web machine sees the
same counts; memory in the single embedded process). A failure there is logged and the login goes on
unthrottled: the admin stays reachable, and the per-address request limit still applies.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from server.auth.tokens import digest
from server.extensions import limiter

log = logging.getLogger(__name__)

#: Failures are forgotten a day after the first of them.
FORGET_FAILURES_AFTER = 24 * 3600
#: An address where an account logged in is spared the account's and the address's waits this long.
KNOWN_ADDRESS_DAYS = 30
#: Addresses in one IPv6 network of this size are one address: a home or office gets a whole /64.
IPV6_PREFIX = 64


@dataclass(frozen=True)
class Policy:
    name: str
    #: failures allowed before any wait
    free: int
    #: seconds to wait after the first failure beyond the free ones; doubled by each further failure
    first_wait: int
    #: the wait grows no longer than this (seconds)
    max_wait: int

    def wait_after(self, failures: int) -> int:
        """Seconds before the next attempt is considered, after ``failures`` failures."""
        if failures <= self.free:
            return 0
        return min(self.max_wait, self.first_wait * 2 ** (failures - self.free - 1))


PER_ACCOUNT_AND_ADDRESS = Policy("account+address", free=3, first_wait=5, max_wait=15 * 60)
PER_ACCOUNT = Policy("account", free=10, first_wait=2, max_wait=5 * 60)
PER_ADDRESS = Policy("address", free=10, first_wait=2, max_wait=15 * 60)


def _now() -> float:
    return time.time()


def network_of(address: str | None) -> str:
    """The address a count is kept for: an IPv4 address, or the IPv6 network it belongs to."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


class LoginThrottle:
    """The waits that apply to one login attempt: ``username`` from ``address``."""

    def __init__(self, username: str, address: str | None) -> None:
        self.username = username
        self.address = network_of(address)
        account = digest(username)[:32]  # any text a stranger types, kept short and free of separators
        self._pair = (PER_ACCOUNT_AND_ADDRESS, f"admin-login/pair/{account}/{self.address}")
        self._account = (PER_ACCOUNT, f"admin-login/account/{account}")
        self._address = (PER_ADDRESS, f"admin-login/address/{self.address}")
        self._known_key = f"admin-login/known/{account}/{self.address}"

    def remaining_wait(self) -> float:
        """Seconds until this attempt may be considered; 0 when it may be now. Logs a refusal."""
        try:
            scopes = [self._pair] if _store().get(self._known_key) else [self._pair, self._account, self._address]
            now_ms = _now() * 1000
            waits = [(policy, (_store().get(key + "/until") - now_ms) / 1000) for policy, key in scopes]
        except limiter.storage.base_exceptions:
            log.exception("admin login throttle unavailable; attempt for %r not throttled", self.username)
            return 0
        policy, wait = max(waits, key=lambda item: item[1])
        if wait <= 0:
            return 0
        log.warning(
            "admin login refused while throttled: account %r from %s, %.0f s left (%s)",
            self.username,
            self.address,
            wait,
            policy.name,
        )
        return wait

    def failed(self) -> None:
        """Count a failure everywhere it counts, and start the waits it earns."""
        try:
            for policy, key in (self._pair, self._account, self._address):
                failures = _store().incr(key + "/failures", FORGET_FAILURES_AFTER)
                if wait := policy.wait_after(failures):
                    self._wait(key, wait)
                    log.warning(
                        "admin login: %d failures for account %r from %s (%s); the next attempt waits %d s",
                        failures,
                        self.username,
                        self.address,
                        policy.name,
                        wait,
                    )
        except limiter.storage.base_exceptions:
            log.exception("admin login throttle unavailable; failure for %r not counted", self.username)

    def succeeded(self) -> None:
        """The account's owner is at this address: forget its failures here and spare it the wider waits.

        The account's count over all addresses is left to expire, so that the owner logging in does
        not hand a guesser elsewhere a fresh set of free tries.
        """
        _, pair_key = self._pair
        try:
            _store().clear(pair_key + "/failures")
            _store().clear(pair_key + "/until")
            if not _store().get(self._known_key):
                _store().incr(self._known_key, KNOWN_ADDRESS_DAYS * 86400)
        except limiter.storage.base_exceptions:
            log.exception("admin login throttle unavailable; success for %r not recorded", self.username)

    @staticmethod
    def _wait(key: str, seconds: int) -> None:
        """No attempt before now + ``seconds``: that time is stored (ms) as a counter. The stored time
        decides; the counter's expiry, a minute later, only tidies up."""
        until_key = key + "/until"
        _store().clear(until_key)
        _store().incr(until_key, seconds + 60, amount=int((_now() + seconds) * 1000))


def _store():
    return limiter.storage
