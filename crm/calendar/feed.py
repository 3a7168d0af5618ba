"""A user's calendar as iCalendar text (RFC 5545), built with the ``icalendar`` library.

What a subscribed calendar (Outlook, Google Calendar, Thunderbird) needs: METHOD:PUBLISH, the
calendar's name (X-WR-CALNAME) and zone (X-WR-TIMEZONE), a VTIMEZONE for the zone every timed
event names in its TZID, a stable UID per record and date (so an update replaces the event
rather than adding one), a DTSTAMP, and all-day dates as VALUE=DATE with the next day as
DTEND (a date never shifts with the zone of whoever subscribes).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event

from crm.calendar.entries import Entry, collect
from crm.formatting import Formatter
from crm.models import utcnow

PAST, AHEAD = timedelta(days=90), timedelta(days=365)
# The CRM keeps a start, not an end: a timed activity fills an hour in a subscribed calendar.
TIMED_LENGTH = timedelta(hours=1)
PRODID = "-//City Diplomacy CRM//Calendar feed//EN"


def window(reader: Formatter) -> tuple[date, date]:
    """The feed's days: from 90 days ago to a year ahead (the reader's today), end excluded."""
    today = reader.today()
    return today - PAST, today + AHEAD + timedelta(days=1)


def _event(entry: Entry, reader: Formatter, host: str, url: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{entry.uid}@{host}")
    event.add("dtstamp", now)
    event.add("summary", entry.summary)
    if entry.starts_at is not None:
        start = reader.local(entry.starts_at)  # its TZID is the reader's zone
        event.add("dtstart", start)
        event.add("dtend", start + TIMED_LENGTH)
    else:
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # a date is not a busy day
    event.add("url", url)
    description = [entry.detail, url] if entry.detail else [url]
    event.add("description", "\n".join(description))
    if entry.location:
        event.add("location", entry.location)
    if entry.cancelled:
        event.add("status", "CANCELLED")
    if entry.modified is not None:
        event.add("last-modified", entry.modified)
    return event


def build(user: Any, reader: Formatter, host: str, url_of: Callable[[Entry], str]) -> bytes:
    """The iCalendar bytes of ``user``'s feed, read by ``reader`` (the user's language and
    zone); ``url_of`` gives an entry's full address."""
    first, end = window(reader)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = reader.translate(_l("CRM calendar of %(name)s", name=user.display_name))
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", reader.zone.key)
    calendar.add("x-published-ttl", "PT1H")  # how often a client should look again
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    now = utcnow()
    for entry in collect(user, reader, first, end, mine=True):
        calendar.add_component(_event(entry, reader, host, url_of(entry), now))
    calendar.add_missing_timezones()
    return calendar.to_ical()
