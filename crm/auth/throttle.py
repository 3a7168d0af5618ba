"""The per-account half of login throttling: it slows a guesser down and never locks anyone out.

The per-address half is Flask-Limiter's limit on the login view (``CRM_LOGIN_LIMIT`` failures
per address, then refused until the window passes). For an account, the same number of
failures is free; after that each attempt must wait a delay that doubles with every further
failure, up to ``MAX_WAIT`` seconds, counted from the previous attempt. Someone guessing a
colleague's password from many addresses gets a few tries a minute; the colleague, typing the
right password, gets in after a wait of seconds, never of a quarter of an hour. The counters
live in the limiter's storage (Redis when ``REDIS_URL`` is set), shared by every process.

Should Redis be unreachable, both halves count in this process's memory instead (Flask-Limiter's
``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`` for the per-address limit, ``Counters`` here for the
account's), so sign-in goes on, throttled per process; one warning says so, and Redis is asked
again every ``RETRY_EVERY`` seconds.
"""

import logging
import threading
import time
from collections.abc import Callable
from math import ceil
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage

from crm.extensions import limiter

log = logging.getLogger(__name__)
MAX_WAIT = 30  # seconds
RETRY_EVERY = 30  # seconds between two tries of an unreachable storage
T = TypeVar("T")


class Counters:
    """The limiter's storage, or this process's memory while that cannot be reached."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.memory: MemoryStorage | None = None  # made on the first outage
        self.clock = clock
        self.down_since: float | None = None  # when the storage was found unreachable
        self.tried_at = 0.0
        self._lock = threading.Lock()

    @property
    def fallen_back(self) -> bool:
        return self.down_since is not None

    def run(self, act: Callable[[Storage], T]) -> T:
        """``act`` on the limiter's storage; on this process's memory while it is down."""
        storage = limiter.storage
        if self.down_since is not None and self._time_to_retry() and storage.check():
            self.down_since = None
            log.info("login throttling: its storage answers again; counting there")
        if self.down_since is None:
            try:
                return act(storage)
            except storage.base_exceptions as error:
                with self._lock:
                    if self.down_since is None:  # one warning per outage, not per request
                        self.down_since = self.tried_at = self.clock()
                        self.memory = self.memory or MemoryStorage()
                        log.warning(
                            "login throttling: its storage cannot be reached (%s); counting "
                            "in this process's memory until it answers again",
                            error.__class__.__name__,
                        )
        assert self.memory is not None
        return act(self.memory)

    def _time_to_retry(self) -> bool:
        with self._lock:
            if self.clock() - self.tried_at < RETRY_EVERY:
                return False
            self.tried_at = self.clock()
            return True


class _SaidOnce(logging.Filter):
    """Drops Flask-Limiter's own lines about its storage going and coming back: ``Counters``
    says it, once for both halves of the throttling."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit storage")


def init_app(app: Flask) -> None:
    flask_limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, _SaidOnce) for f in flask_limiter_log.filters):
        flask_limiter_log.addFilter(_SaidOnce())


def counters(app: Flask | None = None) -> Counters:
    """This app's counters (made once per app)."""
    app = app or current_app
    found = app.extensions.get("crm_throttle")
    if found is None:
        found = app.extensions["crm_throttle"] = Counters()
    return found


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
    limits = _limits()

    def wait(storage: Storage) -> int:
        pause = max(
            (delay(storage.get(_key("failures", email, each)), each.amount) for each in limits),
            default=0,
        )
        if not pause:
            return 0
        turn = _key("turn", email)
        if storage.incr(turn, pause) == 1:
            return 0
        return max(1, ceil(storage.get_expiry(turn) - time.time()))

    return counters().run(wait)


def failed(email: str) -> None:
    """Count a failed sign-in for ``email`` (in each window of ``CRM_LOGIN_LIMIT``)."""
    limits = _limits()

    def count(storage: Storage) -> None:
        for limit in limits:
            storage.incr(_key("failures", email, limit), limit.get_expiry())

    counters().run(count)


def succeeded(email: str) -> None:
    """The right password: the account's failures are forgotten."""
    keys = [_key("failures", email, limit) for limit in _limits()] + [_key("turn", email)]

    def forget(storage: Storage) -> None:
        for key in keys:
            storage.clear(key)

    counters().run(forget)


# The views whose per-address limit is the sign-in's (``CRM_LOGIN_LIMIT``).
ADDRESS_LIMITED = ("auth.login", "auth.forgot_password")


def clear_address(address: str) -> None:
    """Forget an address's failed sign-ins (and requests for a reset link): Flask-Limiter's
    counters of those views for it, under the keys it builds (prefix, address, endpoint)."""
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    identifiers = [prefix, address] if prefix else [address]
    strategy = type(limiter.limiter)

    def forget(storage: Storage) -> None:
        for limit in _limits():
            for endpoint in ADDRESS_LIMITED:
                strategy(storage).clear(limit, *identifiers, endpoint)

    counters().run(forget)
