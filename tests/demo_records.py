"""Demo records whose pages show the most, for the browser tests over the demo data."""

import io
from datetime import UTC, datetime

import sqlalchemy as sa

ADMIN = "admin@demo.tehran.ir"  # Persian, sees every record


def demo_records(app) -> dict[str, int]:
    """Ids of an agreement with the most milestones (given a document too), one of its
    parties with contacts, that contact, an activity on an agreement, and a user other than
    the demo administrator. The administrator is given notifications about that agreement,
    activity and partner (one late, one already read), so that their centre lists some, and a
    briefing pack of that agreement's parties being prepared (``file``); another partner and
    contact (``partner2``, ``contact2``)."""
    from crm.activities.models import Activity
    from crm.agreements.documents import store_upload
    from crm.agreements.models import Agreement, Milestone
    from crm.auth.models import User
    from crm.extensions import db
    from crm.files.models import PreparedFile
    from crm.notifications.models import Notification
    from crm.partners.models import Contact, Partner
    from crm.permissions import acting_as

    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == ADMIN))
        agreement = db.session.scalars(
            sa.select(Agreement)
            .join(Milestone)
            .where(Agreement.confidentiality != "confidential")
            .group_by(Agreement.id)
            .order_by(sa.func.count(Milestone.id).desc(), Agreement.id)
        ).first()
        with acting_as(admin):
            store_upload(agreement, io.BytesIO(b"%PDF-1.4\n"), "تفاهم‌نامهٔ امضاشده.pdf", "امضاشده")
        db.session.commit()
        parties = [partner.id for partner in agreement.parties]
        contact = db.session.scalars(
            sa.select(Contact).where(Contact.partner_id.in_(parties)).order_by(Contact.id)
        ).first()
        activity = db.session.scalars(
            sa.select(Activity).where(Activity.agreement_id.is_not(None)).order_by(Activity.id)
        ).first()
        about = {
            "partner": agreement.parties[0].id,
            "agreement": agreement.id,
            "activity": activity.id,
        }
        db.session.add_all(
            Notification(
                user_id=admin.id,
                kind=kind,
                subject=subject,
                record_kind=record_kind,
                record_id=about.get(record_kind),
                **fields,
            )
            for kind, subject, record_kind, fields in [
                ("digest", "خلاصهٔ هفته: ۳ پیگیری", None, {"read_at": datetime.now(UTC)}),
                ("renewal_notice", "زمان اعلام تمدید رسیده است", "partner", {}),
                ("agreement_expiry", "توافق‌نامه به‌زودی پایان می‌یابد", "agreement", {"late": True}),
                ("activity_due", "موعد فعالیت امروز است", "activity", {}),
            ]
        )
        prepared = PreparedFile(
            kind="pack",
            owner_id=admin.id,
            parameters={"partner_ids": parties, "language": "fa"},
            status="running",
            progress=40,
            step=agreement.parties[0].name_fa or "",
            attempt=1,
        )
        db.session.add(prepared)
        db.session.commit()
        # another partner and another contact, for the duplicates' side-by-side pages
        partner2 = db.session.scalar(
            sa.select(Partner.id).where(Partner.id != contact.partner_id).order_by(Partner.id)
        )
        contact2 = db.session.scalar(
            sa.select(Contact.id).where(Contact.id != contact.id).order_by(Contact.id)
        )
        imported = _an_import(admin, agreement.parties[0])
        return {
            "import": imported,
            "file": prepared.id,
            "partner": contact.partner_id,
            "partner2": partner2,
            "contact": contact.id,
            "contact2": contact2,
            "agreement": agreement.id,
            "milestone": agreement.milestones[0].id,
            "activity": activity.id,
            "user": db.session.scalar(sa.select(User.id).where(User.email != ADMIN).limit(1)),
        }


def _an_import(admin, partner) -> int:
    """An import of the administrator waiting in its preview: a row that matches ``partner``,
    a new one and one with errors."""
    from crm.extensions import db
    from crm.imports import services
    from crm.permissions import acting_as

    headings = "نام انگلیسی,نام فارسی,کشور,تاریخ شروع\r\n"
    rows = [
        f"{partner.name_en},{partner.name_fa},{partner.country or ''},۱۳۹۵/۰۲/۲۸",
        "Shiraz,شيراز,IR,17.05.2016",
        ",,Atlantis,31.02.2020",
    ]
    data = (headings + "\r\n".join(rows) + "\r\n").encode("utf-8")
    with acting_as(admin):
        run = services.upload(admin, "partners", data, "طرف‌ها.csv")
        services.set_mapping(run, list(run.mapping), "skip")
    db.session.commit()
    return run.id
