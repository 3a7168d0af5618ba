"""Duplicates: the finder of likely duplicate partners and contacts, their side-by-side review,
the merge of two into one (one audited act) and its undo by an administrator."""

from flask import Blueprint

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")
