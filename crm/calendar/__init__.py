"""The calendar: a month and a week view of what the reader may see (activities, milestones,
agreement dates), and a private iCal feed per user at an address with a secret token."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
