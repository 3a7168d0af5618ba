"""The secret address of a user's calendar feed: made, revoked and looked up.

The address ends in a random token (256 bits); the table keeps its SHA-256 hash only, so the
token is shown to its user once, when it is made, and never again. Making a new address
revokes the old one. Each change is a row created or changed, so the audit log records it
under the acting user.
"""

import hashlib
import hmac
import secrets

from sqlalchemy import select

from crm.auth.models import User
from crm.calendar.models import CalendarFeed
from crm.exceptions import Forbidden
from crm.extensions import db
from crm.models import utcnow
from crm.permissions import current_actor

# token_urlsafe(32): 43 characters of [A-Za-z0-9_-]
TOKEN_BYTES = 32


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live_feed(user: User) -> CalendarFeed | None:
    """The user's feed that is not revoked, if any."""
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    )


def _own(user: User) -> None:
    actor = current_actor()
    if actor.id != user.id:  # a feed is personal: nobody makes or revokes another's
        raise Forbidden()


def revoke(user: User) -> bool:
    """Revoke the user's feed address (as the acting user, who must be that user); False when
    there was none. The caller commits."""
    _own(user)
    feed = live_feed(user)
    if feed is None:
        return False
    feed.revoked_at = utcnow()
    db.session.flush()
    return True


def issue(user: User) -> str:
    """A new feed address for the user, revoking the one they had; returns the token (the only
    time it is known). The caller commits."""
    revoke(user)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=digest(token), created_at=utcnow()))
    db.session.flush()
    return token


def feed_user(token: str) -> User | None:
    """The active user whose live feed ``token`` opens, or None (unknown, revoked, or the user
    deactivated)."""
    if not token or len(token) > 100:
        return None
    wanted = digest(token)
    row = db.session.execute(
        select(CalendarFeed.token_hash, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token_hash == wanted, CalendarFeed.revoked_at.is_(None))
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted) or not row.User.active:
        return None
    return row.User
