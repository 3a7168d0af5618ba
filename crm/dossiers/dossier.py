"""The agreement dossier as a PDF: a cover, then a section for each part of the agreement.

What it prints comes from ``crm.dossiers.dossier_data.gather`` (for the reader, in their
language); how text becomes lines, and the pages themselves (header, footer, page numbers,
the confidentiality marking on every page), come from the PDF core (``text``, ``flowables``,
``document``). An empty section says so in one line.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer, Table

from crm.dossiers.document import MARKING_COLOR, Section, build_pdf
from crm.dossiers.dossier_data import Dossier, Party, gather
from crm.dossiers.flowables import STYLES, Text, key_values, table
from crm.dossiers.text import is_rtl
from crm.formatting import Formatter

# A left-to-right embedding around a run without letters (a phone number): in a right-to-left
# line its groups of digits would otherwise be laid out right to left.
LTR_EMBED, POP = "\u202a", "\u202c"
TABLE_START = 110  # points: a section's heading, a table's header and its first rows
COVER_MARKING = replace(STYLES["heading"], color=MARKING_COLOR, space_before=24)


class Writer:
    """Lays out one dossier for one reader: translated labels, the reading direction."""

    def __init__(self, dossier: Dossier, fmt: Formatter) -> None:
        self.d, self.fmt, self.rtl = dossier, fmt, is_rtl(fmt.locale)
        self.sections = 0

    def t(self, text: Any) -> str:
        return self.fmt.translate(text)

    def text(self, value: object, style: Any = "body") -> Text:
        return Text(value, style, self.rtl)

    def section(self, heading: Any, body: Sequence[Flowable], empty: Any) -> list[Flowable]:
        """A heading and its content, or the one line that says there is none; the heading
        never stays alone at the foot of a page."""
        title = self.t(heading)
        self.sections += 1
        first, *rest = list(body) or [self.text(self.t(empty), "muted")]
        mark = Section(title, f"section-{self.sections}")  # in the PDF's outline
        if any(isinstance(part, Table) for part in body):
            # a table may flow over pages: it starts on this one when its first rows fit
            return [CondPageBreak(TABLE_START), self.text(title, "heading"), mark, *body]
        # (a KeepTogether inside another one pushes both to the next page: unpacked; the
        # heading comes first, so that its space before counts when the group is measured)
        kept = first._content if isinstance(first, KeepTogether) else [first]
        return [KeepTogether([self.text(title, "heading"), mark, *kept]), *rest]

    def table(self, header: Sequence[Any], rows: Sequence[Sequence[object]], widths) -> Flowable:
        return table([[self.t(h) for h in header], *rows], widths, rtl=self.rtl)

    def pairs(self, pairs: Sequence[tuple[Any, object]]) -> Flowable:
        return key_values([(self.t(label), value) for label, value in pairs], rtl=self.rtl)

    def ltr(self, value: str) -> str:
        return f"{LTR_EMBED}{value}{POP}" if value and self.rtl else value

    # --- the parts ---------------------------------------------------------------------------
    def cover(self) -> list[Flowable]:
        d = self.d
        story: list[Flowable] = [
            Spacer(1, 60),
            self.text(self.t(_l("Agreement dossier")), "muted"),
            self.text(d.title, "title"),
        ]
        if d.other_title:
            story.append(self.text(d.other_title, "muted"))
        story += [
            Spacer(1, 18),
            self.pairs(
                [
                    (_l("Type"), d.type),
                    (_l("Reference"), d.reference),
                    (_l("Parties"), self.fmt.list(p.name for p in d.parties)),
                    (_l("Stage"), d.stage),
                    (_l("Confidentiality"), d.confidentiality),
                    (_l("Owner"), d.owner),
                ]
            ),
        ]
        if d.confidential:
            story.append(self.text(self.t(_l("Confidential")), COVER_MARKING))
        return [*story, PageBreak()]

    def key_dates(self) -> list[Flowable]:
        d = self.d
        body: list[Flowable] = []
        if d.key_dates:
            rows = [[k.label, k.jalali, k.gregorian] for k in d.key_dates]
            body.append(
                self.table(
                    ["", _l("Jalali calendar"), _l("Gregorian calendar")],
                    rows,
                    ["34%", "33%", "33%"],
                )
            )
            body.append(
                self.pairs(
                    [
                        (_l("Renewal notice"), d.renewal_notice),
                        (_l("Renews automatically"), d.auto_renew),
                    ]
                )
            )
        return self.section(_l("Key dates"), body, _l("No key dates are set."))

    def party(self, party: Party) -> Flowable:
        head = [self.text(party.name, "body-bold")]
        if party.other_name:
            head.append(self.text(party.other_name, "muted"))
        facts = self.pairs(
            [
                (_l("Kind"), party.kind),
                (_l("Country"), party.country),
                (_l("Domain"), party.domain),
                (_l("Relationship"), party.relationship),
                (_l("Relationship since"), party.since),
                (_l("Population"), party.population),
                (_l("Time zone"), party.timezone),
            ]
        )
        return KeepTogether([*head, facts, Spacer(1, 4)])

    def parties(self) -> list[Flowable]:
        body = [self.party(p) for p in self.d.parties]
        return self.section(_l("Parties"), body, _l("No parties recorded."))

    def free_text(self, heading: Any, value: str, empty: Any) -> list[Flowable]:
        return self.section(heading, [self.text(value)] if value else [], empty)

    def milestones(self) -> list[Flowable]:
        overdue = self.t(_l("Overdue"))
        rows = [
            [
                m.title,
                m.due,
                m.responsible,
                f"{m.status}{self.fmt.list_separator}{overdue}" if m.overdue else m.status,
            ]
            for m in self.d.milestones
        ]
        header = [_l("Milestone or obligation"), _l("Due on"), _l("Responsible"), _l("Status")]
        body = [self.table(header, rows, ["46%", "18%", "18%", "18%"])] if rows else []
        return self.section(_l("Milestones and obligations"), body, _l("No milestones yet."))

    def history(self) -> list[Flowable]:
        rows = [[s.when, s.from_stage, s.to_stage, s.who, s.note] for s in self.d.history]
        header = [_l("When"), _l("From"), _l("To"), _l("Changed by"), _l("Note")]
        body = [self.table(header, rows, ["20%", "16%", "16%", "18%", "30%"])] if rows else []
        return self.section(_l("Stage history"), body, _l("No stage changes recorded yet."))

    def activities(self) -> list[Flowable]:
        d = self.d
        body: list[Flowable] = []
        if d.activities:
            count = len(d.activities)
            body.append(
                self.text(
                    self.t(
                        lazy_ngettext(
                            "%(count)s activity, the newest first",
                            "%(count)s activities, the newest first",
                            count,
                            count=self.fmt.number(count),
                        )
                    ),
                    "muted",
                )
            )
            rows = [[a.when, a.kind, a.subject, a.partner, a.status, a.owner] for a in d.activities]
            header = [
                _l("When"),
                _l("Kind"),
                _l("Subject"),
                _l("Partner"),
                _l("Status"),
                _l("Owner"),
            ]
            body.append(self.table(header, rows, ["19%", "11%", "29%", "14%", "13%", "14%"]))
        return self.section(
            _l("Activities"), body, _l("No activities recorded for this agreement.")
        )

    def contacts(self) -> list[Flowable]:
        primary = self.t(_l("Primary"))
        rows = [
            [
                f"{c.name}{self.fmt.list_separator}{primary}" if c.primary else c.name,
                c.title,
                c.partner,
                c.email,
                self.ltr(c.phone),
            ]
            for c in self.d.contacts
        ]
        header = [_l("Name"), _l("Job title"), _l("Partner"), _l("Email"), _l("Phone")]
        body = [self.table(header, rows, ["22%", "20%", "16%", "24%", "18%"])] if rows else []
        return self.section(_l("Contacts"), body, _l("No contacts yet."))

    def documents(self) -> list[Flowable]:
        rows = [[doc.name, doc.size, doc.uploaded, doc.checksum] for doc in self.d.documents]
        header = [_l("File"), _l("Size"), _l("Uploaded"), _l("Checksum (SHA-256)")]
        body = [self.table(header, rows, ["46%", "14%", "18%", "22%"])] if rows else []
        return self.section(_l("Documents"), body, _l("No documents yet."))

    def story(self) -> list[Flowable]:
        d = self.d
        return [
            *self.cover(),
            *self.key_dates(),
            *self.parties(),
            *self.section(
                _l("Cooperation areas"),
                [self.text(self.fmt.list(d.areas))] if d.areas else [],
                _l("No cooperation areas chosen."),
            ),
            *self.free_text(_l("Summary of terms"), d.terms, _l("No summary of terms yet.")),
            *self.free_text(
                _l("Signatories"), "\n".join(d.signatories), _l("No signatories recorded.")
            ),
            *self.milestones(),
            *self.history(),
            *self.activities(),
            *self.contacts(),
            *self.documents(),
        ]


def dossier_pdf(
    agreement_id: int, reader: Any, fmt: Formatter, now: datetime | None = None
) -> bytes:
    """The dossier of an agreement as PDF bytes, for ``reader`` in ``fmt``'s language (raises
    ``NotFound`` when the reader may not see the agreement). ``now``: the moment it is prepared
    at (the footer, and which milestones are overdue)."""
    today = fmt.local(now).date() if now else None
    dossier = gather(agreement_id, reader, fmt, today)
    writer = Writer(dossier, fmt)
    marking = fmt.translate(_l("Confidential")) if dossier.confidential else None
    return build_pdf(
        writer.story(), fmt=fmt, reader=reader, title=dossier.title, marking=marking, now=now
    )
