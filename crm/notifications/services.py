"""The notification centre: a user's notifications, how many are unread, marking them read,
and the records they link to that their reader may still see.

Every query goes through the one visibility rule (``crm.notifications.permissions``): a user
reads and marks their own notifications only. Services change rows and flush nothing more;
the views commit.
"""

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, literal_column, select, update

from crm.activities.models import Activity
from crm.agreements.models import Agreement
from crm.extensions import db
from crm.files.models import PreparedFile
from crm.imports.models import ImportRun
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.partners.models import Partner
from crm.permissions import visible
from crm.records import get_or_not_found

# What a notification's ``record_kind`` names; another kind (or none: a digest) links nowhere.
RECORD_MODELS: dict[str, Any] = {
    "activity": Activity,
    "agreement": Agreement,
    "partner": Partner,
    "file": PreparedFile,  # a prepared file that is ready to download (crm.files)
    "import": ImportRun,  # an import a worker committed or undid (crm.imports)
}
# The page of each kind of record a notification links to: (endpoint, its id's argument).
RECORD_LINKS = {
    "activity": ("activities.detail", "activity_id"),
    "agreement": ("agreements.detail", "agreement_id"),
    "partner": ("partners.detail", "partner_id"),
    "file": ("files.detail", "file_id"),
    "import": ("imports.detail", "import_id"),
}


def unread_count_query(user: Any, cap: int | None = None) -> Select:
    """The count of ``unread_count``: a bare 1 per unread notification of ``user``, read from
    the index on (user, read, id) alone, up to ``cap`` of them."""
    unread: Select = select(literal_column("1")).where(
        visible(Notification, user), Notification.read_at.is_(None)
    )
    if cap is not None:
        unread = unread.limit(cap)
    return select(func.count()).select_from(unread.subquery())


def unread_count(user: Any, cap: int | None = None) -> int:
    """How many of ``user``'s notifications are unread; with ``cap``, counted no further than
    ``cap`` (the bell shows "99+"), so the count costs the same however many there are."""
    return db.session.scalar(unread_count_query(user, cap)) or 0


def notifications_query(user: Any, only_unread: bool) -> Select:
    """``user``'s notifications (the unread ones only, if asked), newest first, for a page."""
    stmt = select(Notification).where(visible(Notification, user))
    if only_unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def mark_read(user: Any, notification_id: int) -> bool:
    """Mark one of ``user``'s notifications read; False when it already was. Another user's
    notification, or an unknown id, is ``NotFound``."""
    notification = get_or_not_found(Notification, notification_id, user)
    if notification.read_at is not None:
        return False
    notification.read_at = utcnow()
    return True


def mark_all_read(user: Any) -> int:
    """Mark every unread notification of ``user`` read; returns how many there were."""
    stmt = (
        update(Notification)
        .where(visible(Notification, user), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return cast(CursorResult, db.session.execute(stmt)).rowcount


def linked_records(user: Any, notifications: Iterable[Notification]) -> dict[tuple[str, int], Any]:
    """The records that ``notifications`` link to and that ``user`` may see now, by
    ``(record_kind, record_id)``: one query per kind of record on the page. A record missing
    here is one to show no link to and no name of (it became confidential, say)."""
    wanted: dict[str, set[int]] = {}
    for notification in notifications:
        if notification.record_kind in RECORD_MODELS and notification.record_id is not None:
            wanted.setdefault(notification.record_kind, set()).add(notification.record_id)
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = RECORD_MODELS[kind]
        stmt = select(model).where(model.id.in_(sorted(ids)), visible(model, user))
        found.update(((kind, record.id), record) for record in db.session.scalars(stmt))
    return found
