"""Agreements: pipeline, parties, milestones and documents."""

from flask import Blueprint

bp = Blueprint("agreements", __name__, url_prefix="/agreements")
