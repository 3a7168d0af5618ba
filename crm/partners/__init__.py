"""Partners and their contacts."""

from flask import Blueprint

bp = Blueprint("partners", __name__)  # routes under /partners and /contacts
