"""What the demo shows of the last weeks beyond its records: a stage request waiting for the
manager, and a month of relationship-health history (so "health falling" has partners to list
on a fresh demo)."""

from collections.abc import Iterable
from datetime import datetime

from crm.agreements.models import Agreement, StageRequest
from crm.agreements.requests import move_or_request
from crm.auth.models import User
from crm.extensions import db
from crm.health.services import recompute
from crm.permissions import acting_as

REQUEST_NOTE = "معاونت حقوقی متن را تأیید کرد؛ نامهٔ تأیید پیوست است."


def waiting_request(staff: User, agreement: Agreement, asked_at: datetime) -> StageRequest:
    """The staff member's request to move ``agreement`` (in internal approval) on to "ready to
    sign", made at ``asked_at``, waiting for the manager (who is told of it, as of any
    request)."""
    with acting_as(staff, via="cli"):
        request = move_or_request(agreement, "ready_to_sign", REQUEST_NOTE)
    assert isinstance(request, StageRequest)  # a staff member's move out of internal approval
    request.requested_at = asked_at
    return request


def health_history(moments: Iterable[datetime]) -> int:
    """Each partner's score at each of ``moments`` (one a day), as the nightly job would have
    computed it that day from the demo's records (a follow-up since gone overdue, a last
    meeting grown older): the history that "30 days earlier" reads. Today's scores are written
    when the demo is committed. Returns how many days were written."""
    days = 0
    for moment in moments:
        recompute(db.session(), None, moment)
        days += 1
    return days
