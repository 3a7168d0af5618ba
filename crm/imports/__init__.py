"""Imports: partners and contacts from a spreadsheet (XLSX or CSV), mapped, previewed in a dry
run, committed all at once as one audited act, and undone."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")
