"""Relationship health: a score per partner from its activities, follow-ups and agreements."""

from flask import Blueprint

bp = Blueprint("health", __name__)  # the falling list, under /partners/health
