"""The audit trail: the administrators' view of the audit log, filtered, grouped by act, and its
export."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
