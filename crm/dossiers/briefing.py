"""The partner briefing: what an official needs before meeting a partner, on two pages at most.

Who the partner is (kind, country, population, time zone and its local time now, the country's
official languages), the relationship, agreements and their stage, the last interactions, open
follow-ups, key contacts, talking points, coming anniversaries and expiries. The facts come from
the same services as the partner's page, as far as the reader may see them (confidential
agreements only for managers: not listed, not counted). Long lists are cut to their first rows
and "and N more"; long texts to their first lines.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from babel.languages import get_official_languages
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether

from crm.activities.lists import activities_with, count_activities_with, is_overdue
from crm.activities.models import ACTIVITY_KINDS, Activity
from crm.agreements.display import expiry_text
from crm.agreements.lists import (
    agreements_with_partner,
    count_agreements_with_partner,
    dated_agreements_with_partner,
)
from crm.agreements.models import AGREEMENT_TYPES, STAGES, Agreement
from crm.dossiers.document import build_pdf
from crm.dossiers.flowables import Text, key_values, table
from crm.formatting import Formatter, zone_of
from crm.partners.contacts import contact_counts, partner_contacts
from crm.partners.models import PARTNER_KINDS, RELATIONSHIPS, Contact, Partner
from crm.partners.services import get_partner
from crm.reference import DOMAINS
from crm.reminders.rules import anniversary_in

# How many of each the briefing lists, and how long its texts run: two pages for the busiest.
SHOWN = {"agreements": 5, "past": 4, "planned": 4, "contacts": 5, "dates": 5}
LONGEST = {"summary": 400, "talking_points": 600, "cell": 90}
AHEAD = 90  # days: which anniversaries and expiries are "coming"
HEADING_ROOM = 70  # points: a heading, a table's header and a row


@dataclass
class Facts:
    """What the briefing tells one reader about one partner."""

    partner: Partner
    agreements: list[Agreement]
    agreement_count: int
    planned: list[Activity]
    planned_count: int
    past: list[Activity]
    past_count: int
    contacts: list[Contact]
    contact_count: int
    dates: list[tuple[dt.date, str]] = field(default_factory=list)


def shorten(text: str | None, longest: int) -> str:
    """``text`` cut at a word before ``longest`` characters, with an ellipsis."""
    text = (text or "").strip()
    if len(text) <= longest:
        return text
    cut = text[:longest].rsplit(None, 1)[0] if " " in text[:longest] else text[:longest]
    return cut.rstrip(" ,.،؛") + "…"


def coming_dates(
    partner: Partner, agreements: list[Agreement], fmt: Formatter, today: dt.date
) -> list[tuple[dt.date, str]]:
    """Anniversaries of the relationship and of signings, and expiries, in the next ``AHEAD``
    days (the relationship's next anniversary whenever it falls), soonest first."""
    found: list[tuple[dt.date, str]] = []

    def next_anniversary(since: dt.date) -> tuple[dt.date, int]:
        day = anniversary_in(since, today.year)
        if day < today:
            day = anniversary_in(since, today.year + 1)
        return day, day.year - since.year

    if partner.relationship_since and partner.relationship_since < today:
        day, years = next_anniversary(partner.relationship_since)
        text = ngettext(
            "%(years)s year of the relationship",
            "%(years)s years of the relationship",
            years,
            years=fmt.number(years),
        )
        found.append((day, fmt.translate(text)))
    last = today + dt.timedelta(days=AHEAD)
    for agreement in agreements:
        if agreement.signed_on and agreement.signed_on < today:
            day, years = next_anniversary(agreement.signed_on)
            if day <= last:
                text = ngettext(
                    "%(years)s year since %(name)s was signed",
                    "%(years)s years since %(name)s was signed",
                    years,
                    years=fmt.number(years),
                    name=fmt.name(agreement),
                )
                found.append((day, fmt.translate(text)))
        if agreement.expires_on and today <= agreement.expires_on <= last:
            phrase, _colour = expiry_text(agreement.expires_on, fmt, today)
            found.append((agreement.expires_on, f"{fmt.name(agreement)}: {phrase}"))
    return sorted(found, key=lambda item: item[0])


def gather(partner: Partner, reader: Any, fmt: Formatter, now: dt.datetime) -> Facts:
    """The briefing's facts, through the services the partner's page uses."""
    planned_count, past_count = count_activities_with(reader, partner=partner)
    facts = Facts(
        partner=partner,
        agreements=agreements_with_partner(partner, reader, limit=SHOWN["agreements"]),
        agreement_count=count_agreements_with_partner(partner, reader),
        planned=activities_with(reader, partner=partner, planned=True, limit=SHOWN["planned"]),
        planned_count=planned_count,
        past=activities_with(reader, partner=partner, planned=False, limit=SHOWN["past"]),
        past_count=past_count,
        contacts=partner_contacts(partner, fmt.locale, limit=SHOWN["contacts"]),
        contact_count=contact_counts(partner)[0],
    )
    today = now.astimezone(fmt.zone).date()
    facts.dates = coming_dates(partner, dated_agreements_with_partner(partner, reader), fmt, today)
    return facts


def official_languages(country: str | None, fmt: Formatter) -> str:
    """The country's official languages (Babel's CLDR data), named in the reader's language."""
    if not country:
        return ""
    names = fmt.babel_locale.languages
    codes = get_official_languages(country.upper())
    return fmt.list(names.get(code, code) for code in codes)


def local_time(zone_name: str, fmt: Formatter, now: dt.datetime) -> str:
    """The partner's wall clock now (date and time), when its time zone is known."""
    zone = zone_of(zone_name)
    if not zone_name or zone.key != zone_name:
        return ""
    there = now.astimezone(zone)
    return f"{fmt.time(there.time())}{fmt.list_separator}{fmt.date(there.date(), 'long')}"


def _more(shown: int, total: int, fmt: Formatter, rtl: bool) -> list[Flowable]:
    if total <= shown:
        return []
    more = _l("and %(num)s more", num=fmt.number(total - shown))
    return [Text(fmt.translate(more), "muted", rtl)]


def _when(activity: Activity, fmt: Formatter, now: dt.datetime | None = None) -> str:
    """When it happens or is due; for an open follow-up (``now`` given), whether it is late."""
    when = fmt.datetime(activity.starts_at) if activity.starts_at else fmt.date(activity.due_on)
    if now is not None and is_overdue(activity, now):
        return f"{when} · {fmt.translate(_l('Overdue'))}"
    return when


def _section(heading: Any, count: int | None, fmt: Formatter, rtl: bool) -> list[Flowable]:
    """A section's heading (with its count), on a new page unless two lines fit below it."""
    title = fmt.translate(heading)
    if count is not None:
        title = f"{title} ({fmt.number(count)})"
    return [CondPageBreak(HEADING_ROOM), Text(title, "heading", rtl)]


def _listed(
    heading: Any,
    items: list,
    count: int,
    columns: dict[Any, str],
    row: Callable[[Any], list],
    empty: Any,
    fmt: Formatter,
) -> list[Flowable]:
    """A section listing the first ``items`` of ``count`` as a table of ``columns`` (heading:
    width), each item's cells from ``row``; ``empty`` said when there is none."""
    rtl = fmt.direction == "rtl"
    story = _section(heading, count, fmt, rtl)
    if not items:
        return [*story, Text(fmt.translate(empty), "muted", rtl)]
    rows = [[fmt.translate(title) for title in columns], *map(row, items)]
    story.append(table(rows, list(columns.values()), rtl=rtl, max_lines=2))
    return story + _more(len(items), count, fmt, rtl)


def briefing_story(partner: Partner, reader: Any, fmt: Formatter, now: dt.datetime) -> list:
    """The briefing of ``partner`` for ``reader``, as flowables (a pack puts several together)."""
    rtl = fmt.direction == "rtl"
    facts = gather(partner, reader, fmt, now)
    t = fmt.translate
    story: list[Flowable] = [Text(fmt.name(partner), "title", rtl)]
    other = fmt.other_name(partner)
    if other or partner.name_local:
        names = [name for name in (other, partner.name_local) if name and name != fmt.name(partner)]
        story.append(Text(" · ".join(dict.fromkeys(names)), "muted", rtl))

    relationship, since = fmt.label(RELATIONSHIPS, partner.relationship_type), ""
    if partner.relationship_since:
        since = " · " + t(_l("since %(date)s", date=fmt.date(partner.relationship_since)))
    story += [
        *_section(_l("Profile"), None, fmt, rtl),
        key_values(
            [
                (t(_l("Kind")), fmt.label(PARTNER_KINDS, partner.kind)),
                (t(_l("Domain")), fmt.label(DOMAINS, partner.domain)),
                (t(_l("Country")), fmt.country(partner.country)),
                (t(_l("Region or province")), partner.region),
                (t(_l("Population")), fmt.number(partner.population)),
                (t(_l("Time zone")), fmt.timezone(partner.timezone)),
                (t(_l("Local time now")), local_time(partner.timezone, fmt, now)),
                (t(_l("Official languages")), official_languages(partner.country, fmt)),
                (t(_l("Relationship")), relationship + since),
                (t(_l("Owner")), fmt.name(partner.owner)),
                (t(_l("Cooperation areas")), fmt.list(fmt.name(area) for area in partner.areas)),
                (t(_l("Website")), partner.website),
            ],
            rtl,
        ),
    ]
    for heading, text, longest in (
        (_l("Summary"), partner.summary, LONGEST["summary"]),
        (_l("Talking points"), partner.talking_points, LONGEST["talking_points"]),
    ):
        if text and text.strip():
            body = Text(shorten(text, longest), "body", rtl, align="auto")
            story.append(KeepTogether([*_section(heading, None, fmt, rtl), body]))

    cell = LONGEST["cell"]
    story += _listed(
        _l("Agreements"),
        facts.agreements,
        facts.agreement_count,
        {_l("Agreement"): "46%", _l("Type"): "20%", _l("Stage"): "18%", _l("Expires"): "16%"},
        lambda agreement: [
            shorten(fmt.name(agreement), cell),
            fmt.label(AGREEMENT_TYPES, agreement.type),
            fmt.label(STAGES, agreement.stage),
            fmt.date(agreement.expires_on),
        ],
        _l("No agreements with this partner."),
        fmt,
    )
    story += _listed(
        _l("Open follow-ups"),
        facts.planned,
        facts.planned_count,
        {_l("When"): "22%", _l("Kind"): "16%", _l("Subject"): "42%", _l("Owner"): "20%"},
        lambda a: [
            _when(a, fmt, now),
            fmt.label(ACTIVITY_KINDS, a.kind),
            shorten(a.subject, cell),
            fmt.name(a.owner),
        ],
        _l("Nothing planned with this partner."),
        fmt,
    )
    story += _listed(
        _l("Last interactions"),
        facts.past,
        facts.past_count,
        {_l("Date"): "20%", _l("Kind"): "13%", _l("Subject"): "37%", _l("Outcome"): "30%"},
        lambda a: [
            _when(a, fmt),
            fmt.label(ACTIVITY_KINDS, a.kind),
            shorten(a.subject, cell),
            shorten(a.outcome, cell),
        ],
        _l("No past activities recorded with this partner."),
        fmt,
    )
    story += _listed(
        _l("Key contacts"),
        facts.contacts,
        facts.contact_count,
        {_l("Name"): "22%", _l("Job title"): "24%", _l("Email"): "36%", _l("Phone"): "18%"},
        lambda c: [
            shorten(fmt.name(c), cell),
            shorten(" · ".join(part for part in (c.title, c.department) if part), 60),
            c.email,
            fmt.phone(c.phone),
        ],
        _l("No contacts yet."),
        fmt,
    )

    story.extend(_section(_l("Coming anniversaries and expiries"), None, fmt, rtl))
    if facts.dates:
        shown = facts.dates[: SHOWN["dates"]]
        rows = [[fmt.date(day), shorten(text, 2 * LONGEST["cell"])] for day, text in shown]
        story.append(table(rows, ["20%", "80%"], header=False, rtl=rtl))
        story += _more(len(shown), len(facts.dates), fmt, rtl)
    else:
        nothing = _l("Nothing in the next %(days)s days.", days=fmt.number(AHEAD))
        story.append(Text(t(nothing), "muted", rtl))
    return story


def briefing_title(partner: Partner, fmt: Formatter) -> str:
    return fmt.translate(_l("Briefing: %(name)s", name=fmt.name(partner)))


def briefing_pdf(
    partner_id: int, reader: Any, fmt: Formatter, now: dt.datetime | None = None
) -> bytes:
    """The briefing of a partner ``reader`` may see (else ``NotFound``), in ``fmt``'s language."""
    now = now or dt.datetime.now(dt.UTC)
    partner = get_partner(partner_id, reader)
    story = briefing_story(partner, reader, fmt, now)
    return build_pdf(story, fmt=fmt, reader=reader, title=briefing_title(partner, fmt), now=now)
