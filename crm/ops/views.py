"""``/health/live`` and ``/health/ready`` (also ``/health``): JSON for load balancers and
monitors, no sign-in, never a page."""

from flask import jsonify

from crm.ops import bp
from crm.ops.checks import readiness


@bp.route("/live")
def live():
    """The process answers (nothing else is asked: a restart is the only cure it suggests)."""
    return jsonify(status="ok")


@bp.route("/ready")
@bp.route("", endpoint="health")
def ready():
    """Whether this process can serve pages: 503 only when its database is unreachable."""
    answer, code = readiness()
    response = jsonify(answer)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response
