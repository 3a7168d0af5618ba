"""What operators and load balancers ask the running app: is it alive, is it ready, which
version is it (``/health/live``, ``/health/ready``; ``flask crm check-config``)."""

from flask import Blueprint

bp = Blueprint("ops", __name__, url_prefix="/health")
