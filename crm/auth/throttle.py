"""The per-account half of login throttling: it slows a guesser down and never locks anyone out.

The per-address half is Flask-Limiter's limit on the login view (``CRM_LOGIN_LIMIT`` failures
per address, then refused until the window passes). For an account, the same number of
failures is free; after that each attempt must wait a delay that doubles with every further
failure, up to ``MAX_WAIT`` seconds, counted from the previous attempt. Someone guessing a
colleague's password from many addresses gets a few tries a minute; the colleague, typing the
right password, gets in after a wait of seconds, never of a quarter of an hour. The counters
live in the limiter's storage (Redis when ``REDIS_URL`` is set), shared by every process.
"""

import time
from math import ceil

from flask import current_app
from limits import RateLimitItem, parse_many

from crm.extensions import limiter

MAX_WAIT = 30  # seconds


def delay(failures: int, free: int) -> int:
    """Seconds between attempts for an account with ``failures`` recent failures."""
    if failures < free:
        return 0
    return min(2 ** (failures - free), MAX_WAIT)


def _limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["CRM_LOGIN_LIMIT"])


def _key(kind: str, email: str, limit: RateLimitItem | None = None) -> str:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    window = f"/{limit.get_expiry()}" if limit else ""
    return f"{prefix}/login-{kind}{window}/{email.strip().lower()}"


def wait_before_attempt(email: str) -> int:
    """0 when a sign-in attempt for ``email`` may go ahead now (it then holds the account's
    turn for the current delay), else the seconds still to wait."""
    storage = limiter.storage
    pause = max(
        (delay(storage.get(_key("failures", email, limit)), limit.amount) for limit in _limits()),
        default=0,
    )
    if not pause:
        return 0
    turn = _key("turn", email)
    if storage.incr(turn, pause) == 1:
        return 0
    return max(1, ceil(storage.get_expiry(turn) - time.time()))


def failed(email: str) -> None:
    """Count a failed sign-in for ``email`` (in each window of ``CRM_LOGIN_LIMIT``)."""
    for limit in _limits():
        limiter.storage.incr(_key("failures", email, limit), limit.get_expiry())


def succeeded(email: str) -> None:
    """The right password: the account's failures are forgotten."""
    for limit in _limits():
        limiter.storage.clear(_key("failures", email, limit))
    limiter.storage.clear(_key("turn", email))


# The views whose per-address limit is the sign-in's (``CRM_LOGIN_LIMIT``).
ADDRESS_LIMITED = ("auth.login", "auth.forgot_password")


def clear_address(address: str) -> None:
    """Forget an address's failed sign-ins (and requests for a reset link): Flask-Limiter's
    counters of those views for it, under the keys it builds (prefix, address, endpoint)."""
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    for limit in _limits():
        for endpoint in ADDRESS_LIMITED:
            identifiers = [prefix, address, endpoint] if prefix else [address, endpoint]
            limiter.limiter.clear(limit, *identifiers)
