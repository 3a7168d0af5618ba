"""Forgotten passwords: a link that works once and for an hour, sent to the account's address.

The link carries a token signed with the application's secret (itsdangerous), holding the
user's id and a fingerprint of their current password hash and e-mail address; nothing is
stored. The token dies when its hour is over, once it has been used (the new password changes
the hash), when the password is changed any other way, when the e-mail address changes, and
when the secret key is rotated. A table of hashed tokens would give the same guarantees but
needs a migration, a clean-up of old rows and one more place where a token could leak from;
the signature has none of these.

Asking for a link answers the same whether or not the address belongs to an account, and
takes the same path: a job is queued either way, with the account's id or None, and the job
sends the message (a slow mail server cannot tell who exists by the time the answer takes).
"""

import hashlib
import hmac
from uuid import uuid4

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from limits import parse

from crm.auth.models import User
from crm.extensions import db

LINK_HOURS = 1  # the messages say "within an hour"
# Links e-mailed to one account, however many addresses ask: enough for a lost message, not
# enough to fill a colleague's mailbox.
MAILS_PER_ACCOUNT = "3 per hour"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="crm-password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}\0{user.email}".encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    """A token for ``user``'s reset link."""
    return _serializer().dumps([user.id, _fingerprint(user)])


def user_for_token(token: str) -> User | None:
    """The active user ``token`` was made for, while it is under an hour old and the user's
    password and e-mail address are the ones it was made with; otherwise None."""
    try:
        user_id, fingerprint = _serializer().loads(token, max_age=LINK_HOURS * 3600)
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(_fingerprint(user), fingerprint):
        return None
    return user


def reset_link(user: User) -> str:
    """The absolute address of a new reset link for ``user`` (for a message or a terminal), in
    their language: the page it opens, and the sign-in after it, speak it."""
    from crm.reminders.mail import record_link

    return record_link("auth.reset_password", token=make_token(user), lang=user.locale)


def may_mail(user: User) -> bool:
    """False when ``user`` has had ``MAILS_PER_ACCOUNT`` links already; counts this one (in
    the limiter's storage, as the login throttling counts, with its fallback)."""
    from crm.auth.throttle import counters

    limit = parse(MAILS_PER_ACCOUNT)
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    key = f"{prefix}/reset-mail/{limit.get_expiry()}/{user.id}"
    return counters().run(lambda storage: storage.incr(key, limit.get_expiry()) <= limit.amount)


def ask_for_link(email: str) -> int | None:
    """Queue the e-mail of a reset link to the active account with ``email``, if any, within
    its limit. Returns the account's id when a message is queued (for the security log)."""
    from crm import jobs
    from crm.auth.services import find_by_email
    from crm.auth.tasks import reset_link_job

    user = find_by_email(email)
    user_id = user.id if user is not None and user.active and may_mail(user) else None
    jobs.enqueue(reset_link_job, user_id)
    return user_id


def send_link(user_id: int) -> bool:
    """E-mail a reset link to the active user ``user_id`` in their language; False when there
    is no such user."""
    from flask_babel import gettext as _

    from crm.formatting import Formatter
    from crm.i18n import reading_as
    from crm.reminders import mail

    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return False
    reader = Formatter.for_user(user)
    with reading_as(reader):
        subject = _("Set a new password for the City Diplomacy CRM")
    message = mail.compose(
        reader,
        user.email,
        subject,
        "password_reset",
        f"password-reset-{user.id}-{uuid4().hex}",
        user=user,
        link=reset_link(user),
        login_link=mail.record_link("auth.login"),
    )
    mail.send(message)
    return True
