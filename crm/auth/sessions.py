"""Sign-ins kept on the server: one ``user_sessions`` row per signed-in browser.

The browser's session and remember cookie carry a random token; the table keeps its SHA-256
hash. A request is signed in only while the row exists, has not expired and its user is
active, so ending a session (logging out, a changed or reset password, a deactivated user) is
a row deleted, and it holds in every process and after a restart.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from crm.auth.models import User, UserSession
from crm.extensions import db
from crm.models import utcnow

# How stale a session's last-seen time may get before a request writes it again.
SEEN_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(remember: bool) -> timedelta:
    """How long a sign-in lasts: the remember cookie's duration with "keep me signed in", else
    the session's (``CRM_SESSION_HOURS``)."""
    if remember:
        return current_app.config["REMEMBER_COOKIE_DURATION"]
    return current_app.permanent_session_lifetime


def start(user: User, remember: bool = False) -> str:
    """Open a session for ``user`` and return its token (also set as ``user.session_token``,
    what Flask-Login's ``login_user`` stores). Expired sessions of everyone are removed."""
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime(remember),
        )
    )
    db.session.flush()
    user.session_token = token
    return token


def load(token: str) -> User | None:
    """The active user whose unexpired session ``token`` names, or None. The session's
    last-seen time is written at most once every ``SEEN_EVERY``."""
    row = db.session.execute(
        select(UserSession.id, UserSession.expires_at, UserSession.last_seen_at, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    session_id, expires_at, last_seen_at, user = row
    now = utcnow()
    if expires_at <= now or not user.active:
        return None
    if last_seen_at <= now - SEEN_EVERY:
        _seen(session_id, now)
    user.session_token = token
    return user


def _seen(session_id: int, now: datetime) -> None:
    # The user is loaded before the view runs, so this commit carries nothing else.
    db.session.execute(
        update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
    )
    db.session.commit()


def end(user: User) -> None:
    """End the session ``user`` was loaded through (logging out)."""
    if user.session_token:
        db.session.execute(
            delete(UserSession).where(UserSession.token_hash == _digest(user.session_token))
        )
    user.session_token = None


def end_others(user: User) -> None:
    """End every session of ``user`` but the one this object was loaded through (all of them
    when it was loaded otherwise: by an administrator, a command, a job)."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if user.session_token:
        stmt = stmt.where(UserSession.token_hash != _digest(user.session_token))
    db.session.execute(stmt)
