"""Prepared files: long documents (a briefing pack, the pipeline report) that a worker builds
while the user watches its progress, kept for a while to download."""

from flask import Blueprint

bp = Blueprint("files", __name__, url_prefix="/files")
