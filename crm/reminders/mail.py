"""E-mail: a message in its recipient's language, sent over SMTP or written to the outbox folder.

With ``SMTP_HOST`` set, messages go to that server (STARTTLS, SSL or plain, with a login when
``SMTP_USERNAME`` is set). Without it (the embedded default), each message is written to the
outbox folder as one ``.eml`` file, named by its ``Message-ID``, and logged: the same code path up
to the last step.
"""

import logging
import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from crm.formatting import Formatter
from crm.i18n import reading_as

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 60  # seconds; well within the reaper's timeout of a claimed reminder


def record_link(endpoint: str, **values: Any) -> str:
    """The absolute address of a page, for a message read outside the browser."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["CRM_BASE_URL"] + path


def message_id(key: str) -> str:
    """A ``Message-ID`` made from ``key``, the same for every attempt at the same message."""
    domain = urlsplit(current_app.config["CRM_BASE_URL"]).hostname or "localhost"
    return f"<{key}@{domain}>"


def compose(
    reader: Formatter, to: str, subject: str, template: str, key: str, **context: Any
) -> EmailMessage:
    """A message to ``to`` with a text and an HTML part from ``email/<template>.txt`` and
    ``.html``, rendered for ``reader`` (language, calendar, digits, time zone)."""
    with reading_as(reader):
        text = render_template(f"email/{template}.txt", subject=subject, reader=reader, **context)
        html = render_template(f"email/{template}.html", subject=subject, reader=reader, **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(key)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # after the parts: set_content drops the Content-* headers set before it
    message["Content-Language"] = reader.locale
    return message


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of the connections to the mail server, made once per process: making
    them reads the system's certificate authorities, which took longer than the rest of a
    delivery."""
    return ssl.create_default_context()


def send(message: EmailMessage) -> None:
    """Send ``message``; raises on failure (the caller retries)."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        _write_to_outbox(message, Path(config["CRM_OUTBOX"]))
        return
    security = config["SMTP_SECURITY"]
    host, port = config["SMTP_HOST"], config["SMTP_PORT"]
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=tls_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=tls_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def _write_to_outbox(message: EmailMessage, outbox: Path) -> None:
    """One file per message, written whole (a temporary file renamed into place): a message
    sent again replaces its earlier copy, as a mail system drops a resend by its Message-ID."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = (message["Message-ID"] or make_msgid()).strip("<>").replace("/", "_")
    with tempfile.NamedTemporaryFile("wb", dir=outbox, delete=False, suffix=".tmp") as file:
        file.write(message.as_bytes())
    os.replace(file.name, outbox / f"{name}.eml")
    log.info("e-mail written to the outbox: %s", outbox / f"{name}.eml")
