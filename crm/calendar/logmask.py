"""Keep calendar feed tokens and password reset tokens out of the logs.

A feed's address is its only key (``/calendar/feed/<token>.ics``), as a reset link's is
(``/password/reset/<token>``), and request logs write
addresses: gunicorn's access log (``--access-logfile``), the development server's, and the
app's own messages about a request that failed. A filter on each of those loggers rewrites a
record whose message holds a feed address, keeping the token's first four characters (enough
to tell two feeds apart) and masking the rest.
"""

import logging
import re

from flask import Flask

FEED_ADDRESS = re.compile(r"(/calendar/feed/)([^/\s?#\"]+?)(\.ics)")
RESET_ADDRESS = re.compile(r"(/password/reset/)([^/\s?#\"]+)()")
# the loggers that write request addresses
REQUEST_LOGGERS = ("gunicorn.access", "gunicorn.error", "werkzeug")


def mask(text: str) -> str:
    """``text`` with every feed or reset token but its first four characters replaced by
    ``…``."""
    for address in (FEED_ADDRESS, RESET_ADDRESS):
        text = address.sub(lambda m: f"{m.group(1)}{m.group(2)[:4]}…{m.group(3)}", text)
    return text


class MaskFeedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's to report, not ours
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = MaskFeedTokens()


def install(app: Flask) -> None:
    """Put the filter on the request loggers and the app's logger (once each)."""
    for logger in (*map(logging.getLogger, REQUEST_LOGGERS), app.logger):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
