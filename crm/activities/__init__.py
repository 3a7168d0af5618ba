"""Follow-up activities and the my-follow-ups page."""

from flask import Blueprint

bp = Blueprint("activities", __name__, url_prefix="/activities")
