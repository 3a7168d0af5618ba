"""The rules of stage-approval requests (``crm.agreements.requests``), told when they happen
rather than found by a sweep (``crm.reminders.events.tell``): a request waiting for a manager,
told to each manager who may see its agreement, and a request granted or refused, told to the
staff member who made it. Both follow each user's e-mail choices like every other rule, and
each e-mail is checked again when it is sent: a request decided meanwhile, an agreement its
reader may no longer see, is not sent."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from crm.agreements.models import STAGES, StageRequest
from crm.extensions import db
from crm.formatting import Formatter
from crm.permissions import can, sees
from crm.reminders.messages import Due, Message
from crm.reminders.models import Reminder
from crm.reminders.settings import Settings


def _request(reminder: Reminder, recipient: Any) -> StageRequest | None:
    request = db.session.get(StageRequest, reminder.record_id)
    if request is None or request.agreement.archived or not sees(recipient, request.agreement):
        return None
    return request


def _lines(reader: Formatter, request: StageRequest) -> list[tuple[str, str]]:
    _ = reader.catalog.gettext
    lines = [
        (_("Agreement"), reader.name(request.agreement)),
        (_("From stage"), reader.label(STAGES, request.from_stage)),
        (_("To stage"), reader.label(STAGES, request.to_stage)),
        (_("Asked by"), request.requested_by.display_name),
        (_("Asked on"), reader.datetime(request.requested_at)),
    ]
    if request.note:
        lines.append((_("Note"), request.note))
    return lines


class StageRequestWaiting:
    """A new request, told at once to the managers who may see its agreement."""

    name, record_kind = "stage_request_waiting", "stage_request"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        return iter(())  # told when the request is made

    def told(self, request: StageRequest, users: list[Any], now: datetime) -> list[Due]:
        """The rows telling ``users`` (the active managers) of ``request``: those who may
        decide it and see its agreement."""
        return [
            Due(self.name, self.record_kind, request.id, "waiting", user.id, now)
            for user in users
            if can(user, "decide", request) and sees(user, request.agreement)
        ]

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        request = _request(reminder, recipient)
        if request is None or request.status != "pending" or not can(recipient, "decide", request):
            return None
        return request

    def message(
        self, reader: Formatter, recipient: Any, request: StageRequest, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        subject = _("%(name)s asks to move “%(title)s” to %(stage)s") % {
            "name": request.requested_by.display_name,
            "title": reader.name(request.agreement),
            "stage": reader.label(STAGES, request.to_stage),
        }
        return Message(subject, _lines(reader, request), "agreement", request.agreement_id)


class StageRequestDecided:
    """A request granted or refused (its occurrence), told to the staff member who made it."""

    name, record_kind = "stage_request_decided", "stage_request"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        return iter(())  # told when the request is decided

    def told(self, request: StageRequest, now: datetime) -> list[Due]:
        requester = request.requested_by
        if requester is None or not requester.active or not sees(requester, request.agreement):
            return []  # (an agreement made confidential meanwhile: they must not learn of it)
        return [Due(self.name, self.record_kind, request.id, request.status, requester.id, now)]

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        request = _request(reminder, recipient)
        if (
            request is None
            or request.status != reminder.occurrence
            or request.requested_by_id != recipient.id
        ):
            return None
        return request

    def message(
        self, reader: Formatter, recipient: Any, request: StageRequest, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        names = {
            "title": reader.name(request.agreement),
            "stage": reader.label(STAGES, request.to_stage),
        }
        if request.status == "granted":
            subject = _("Your request to move “%(title)s” to %(stage)s was granted.") % names
        else:
            subject = _("Your request to move “%(title)s” to %(stage)s was refused: %(reason)s") % (
                names | {"reason": request.reason}
            )
        lines = _lines(reader, request)
        decided_by = request.decided_by.display_name if request.decided_by else ""
        lines += [
            (_("Decided by"), decided_by),
            (_("Decided on"), reader.datetime(request.decided_at)),
        ]
        if request.reason:
            lines.append((_("Reason"), request.reason))
        return Message(subject, lines, "agreement", request.agreement_id)
