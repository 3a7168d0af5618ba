"""The kinds of audited records as the audit trail names them: each kind's label, the labels of
its fields (its form's, as its page's history shows them), its code tables and its page."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from wtforms import Form

from crm.activities.forms import ActivityForm
from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity
from crm.agreements.forms import AgreementForm, DocumentForm, MilestoneForm
from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MILESTONE_STATUSES,
    STAGES,
    Agreement,
    Document,
    Milestone,
)
from crm.auth.forms import UserForm
from crm.auth.models import ROLES, User
from crm.calendar.models import CalendarFeed
from crm.duplicates.models import merged_into
from crm.history import LABELS, change_history, form_labels, targets_of
from crm.i18n import LANGUAGE_NAMES
from crm.partners.forms import ContactForm, PartnerForm
from crm.partners.models import CONTACT_LANGUAGES, PARTNER_KINDS, RELATIONSHIPS, Contact, Partner
from crm.reference import DOMAINS


@dataclass(frozen=True)
class RecordKind:
    """An audited kind of record. Its page is ``endpoint`` with the record's id as ``arg``, or,
    for the rows of another record's page (a milestone), that record's id read from ``via``."""

    label: Any
    model: type
    form: type[Form]
    codes: dict[str, dict] = field(default_factory=dict)
    extra_labels: dict[str, Any] = field(default_factory=dict)
    endpoint: str = ""
    arg: str = ""
    via: str = "id"

    @cached_property
    def labels(self) -> dict[str, Any]:
        """Field (audit key) → its label (one table, which ``Formatter.labels`` translates once
        per reader)."""
        return LABELS | form_labels(self.form) | self.extra_labels

    @cached_property
    def targets(self) -> dict[str, Any]:
        """Audit key → the model its ids refer to."""
        return targets_of(self.model)

    def url(self, record: Any) -> str:
        return url_for(self.endpoint, **{self.arg: getattr(record, self.via)})


KINDS: dict[str, RecordKind] = {
    "partners": RecordKind(
        _l("Partner"),
        Partner,
        PartnerForm,
        {"kind": PARTNER_KINDS, "domain": DOMAINS, "relationship_type": RELATIONSHIPS},
        endpoint="partners.detail",
        arg="partner_id",
    ),
    "contacts": RecordKind(
        _l("Contact"),
        Contact,
        ContactForm,
        {"language": CONTACT_LANGUAGES},
        endpoint="partners.contact",
        arg="contact_id",
    ),
    "agreements": RecordKind(
        _l("Agreement"),
        Agreement,
        AgreementForm,
        {"stage": STAGES, "type": AGREEMENT_TYPES, "confidentiality": CONFIDENTIALITY},
        endpoint="agreements.detail",
        arg="agreement_id",
    ),
    "agreement_milestones": RecordKind(
        _l("Milestone"),
        Milestone,
        MilestoneForm,
        {"status": MILESTONE_STATUSES},
        {"agreement_id": _l("Agreement")},
        endpoint="agreements.detail",
        arg="agreement_id",
        via="agreement_id",
    ),
    "agreement_documents": RecordKind(
        _l("Document"),
        Document,
        DocumentForm,
        extra_labels={
            "agreement_id": _l("Agreement"),
            "filename": _l("File"),
            "stored_name": _l("Stored as"),
            "content_type": _l("File type"),
            "size": _l("Size in bytes"),
            "sha256": _l("Checksum (SHA-256)"),
            "uploaded_at": _l("Uploaded"),
            "uploaded_by_id": _l("Uploaded by"),
        },
        endpoint="agreements.detail",
        arg="agreement_id",
        via="agreement_id",
    ),
    "activities": RecordKind(
        _l("Activity"),
        Activity,
        ActivityForm,
        {"kind": ACTIVITY_KINDS, "status": ACTIVITY_STATUSES, "domain": DOMAINS},
        {  # as the activity's page names them (crm.activities.views)
            "starts_at": _l("When"),
            "previous_id": _l("Previous"),
            "remind_before_minutes": _l("Remind before"),
        },
        endpoint="activities.detail",
        arg="activity_id",
    ),
    "users": RecordKind(
        _l("User"),
        User,
        UserForm,
        {"role": ROLES, "locale": LANGUAGE_NAMES},
        endpoint="auth.edit_user",
        arg="user_id",
    ),
    "calendar_feeds": RecordKind(
        _l("Calendar address"),
        CalendarFeed,
        Form,  # made and revoked from the settings page, which has no form of its fields
        extra_labels={
            "user_id": _l("User"),
            "created_at": _l("Made"),
            "revoked_at": _l("Revoked"),
        },
        endpoint="auth.edit_user",
        arg="user_id",
        via="user_id",
    ),
}

KIND_LABELS = {kind: record_kind.label for kind, record_kind in KINDS.items()}


def record_history(record: Any, reader: Any, fmt: Any, limit: int = 50) -> list:
    """A record page's change history, its fields and codes named as the audit trail names
    them (``crm.history.change_history`` with the record kind's labels and code tables)."""
    kind = KINDS[record.__tablename__]
    also = merged_into(record) if hasattr(record, "merged_into_id") else []
    return change_history(record, reader, fmt, kind.labels, kind.codes, limit=limit, also=also)
