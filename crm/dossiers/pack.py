"""The briefing pack: several partners' briefings in one PDF (a trip to several cities, a
conference), with a cover, a table of contents with page numbers and a section per partner,
each starting on a new page. Partners the reader may not see are left out, unnamed.

Built by a background job (``pack_pdf`` takes ids and plain values); ``on_progress(percent,
step)`` hears how far it got, the step already in the reader's language.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from reportlab.platypus import Flowable, PageBreak, Spacer

from crm.dossiers.briefing import briefing_story
from crm.dossiers.document import Contents, Section, build_pdf
from crm.dossiers.flowables import Text, table
from crm.exceptions import NotFound
from crm.formatting import Formatter
from crm.partners.models import PARTNER_KINDS, Partner
from crm.partners.services import get_partner

Progress = Callable[[int, str], None]
GATHERED = 40  # percent: the partners' facts are gathered; the rest is laying out pages
PAGES_PER_PARTNER = 2  # for the progress estimate while pages are laid out


def readable_partners(partner_ids: Iterable[int], reader: Any) -> list[Partner]:
    """The partners of ``partner_ids`` that ``reader`` may see, in the order given, once each."""
    found = []
    for partner_id in dict.fromkeys(partner_ids):
        try:
            found.append(get_partner(partner_id, reader))
        except NotFound:
            continue
    return found


def cover(partners: list[Partner], fmt: Formatter, title: str, rtl: bool) -> list[Flowable]:
    t = fmt.translate
    rows = [[t(_l("Partner")), t(_l("Kind")), t(_l("Country"))]]
    rows += [
        [fmt.name(p), fmt.label(PARTNER_KINDS, p.kind), fmt.country(p.country)] for p in partners
    ]
    count = t(_l("Partners: %(num)s", num=fmt.number(len(partners))))
    return [
        Spacer(1, 40),
        Text(title, "title", rtl),
        Text(count, "muted", rtl),
        Spacer(1, 12),
        table(rows, ["50%", "25%", "25%"], rtl=rtl),
        PageBreak(),
        Text(t(_l("Contents")), "heading", rtl),
        Contents(fmt, rtl),
    ]


def pack_pdf(
    partner_ids: list[int],
    reader: Any,
    fmt: Formatter,
    *,
    on_progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The briefing pack of ``partner_ids`` for ``reader``, in ``fmt``'s language."""
    now = now or dt.datetime.now(dt.UTC)
    rtl = fmt.direction == "rtl"

    def tell(percent: int, step: Any) -> None:
        if on_progress is not None:
            on_progress(max(0, min(100, percent)), fmt.translate(step))

    partners = readable_partners(partner_ids, reader)
    title = fmt.translate(_l("Briefing pack"))
    story = cover(partners, fmt, title, rtl)
    for number, partner in enumerate(partners, 1):
        step = _l(
            "Partner %(number)s of %(count)s: %(name)s",
            number=fmt.number(number),
            count=fmt.number(len(partners)),
            name=fmt.name(partner),
        )
        tell(GATHERED * (number - 1) // max(len(partners), 1), step)
        story += [PageBreak(), Section(fmt.name(partner), f"partner-{partner.id}")]
        story += briefing_story(partner, reader, fmt, now)
    if not partners:
        story.append(Text(fmt.translate(_l("No partners to show.")), "muted", rtl))

    expected = max(1, (2 + PAGES_PER_PARTNER * len(partners)) * 2)  # two passes at least
    laid_out = 0

    def on_build(kind: str, value: int) -> None:
        nonlocal laid_out
        if kind == "PAGE":
            laid_out += 1
            done = min(laid_out / expected, 0.99)
            tell(GATHERED + int((100 - GATHERED) * done) - 1, _l("Laying out the pages"))

    tell(GATHERED, _l("Laying out the pages"))
    data = build_pdf(story, fmt=fmt, reader=reader, title=title, on_build=on_build, now=now)
    tell(100, _l("Ready"))
    return data
