"""Downloads of the PDFs a reader asks for on a record's page: the partner briefing."""

import io
import re

from flask import current_app, request, send_file
from flask_login import current_user

from crm.dossiers.briefing import briefing_pdf
from crm.formatting import Formatter
from crm.partners import bp
from crm.partners.services import get_partner
from crm.security import require
from crm.web import fmt


def pdf_language() -> Formatter:
    """The reader's formatter in the language ``?lang=`` asks for (fa or en), else theirs."""
    reader = fmt()
    lang = request.args.get("lang") or reader.locale
    if lang in current_app.config["CRM_LOCALES"] and lang != reader.locale:
        return Formatter(lang, reader.zone)
    return reader


def file_name(kind: str, name: str, record_id: int, reader: Formatter) -> str:
    """``briefing-florence-12-1405-09-06.pdf``: ASCII, so every browser keeps it."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    parts = (kind, slug, str(record_id), reader.file_date())
    return "-".join(part for part in parts if part) + ".pdf"


@bp.route("/partners/<id:partner_id>/briefing.pdf")
@require("viewer")
def briefing(partner_id: int):
    reader = pdf_language()
    partner = get_partner(partner_id, current_user)  # a partner the user may not see: 404
    data = briefing_pdf(partner.id, current_user, reader)
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=file_name("briefing", partner.name_en, partner.id, reader),
        max_age=0,
    )
