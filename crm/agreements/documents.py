"""Agreement documents: stored under a random name in the upload folder, with a checksum.

The bytes are streamed to disk while their size and SHA-256 are computed, so a large upload never
sits in memory; the checksum is verified again on every download.
"""

import hashlib
import mimetypes
import re
import unicodedata
import uuid
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from crm.agreements.models import Agreement, Document
from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.formatting import LocalNumber
from crm.models import utcnow
from crm.permissions import current_actor, ensure
from crm.records import text_problems

CHUNK = 64 * 1024
# Letters and digits of any script (Persian included), spaces and a few harmless marks.
_UNSAFE = re.compile(r"[^\w\s.()\-\u200c]", re.UNICODE)


class DocumentError(RuleBroken):
    """An upload or download failed a rule; the message is translated."""

    def __init__(self, message, field: str = "file") -> None:
        super().__init__(message, field)


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def allowed_extensions() -> tuple[str, ...]:
    return tuple(current_app.config["CRM_DOCUMENT_EXTENSIONS"])


def max_bytes() -> int:
    return current_app.config["CRM_MAX_DOCUMENT_MB"] * 1024 * 1024


def clean_filename(name: str | None) -> str:
    """A file name safe to show and to offer for download: no folders, no control or
    direction-override characters; Persian and other letters are kept."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" or ch == "\u200c")
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[:200] or "document"
    return f"{stem}.{ext.lower()}" if ext else stem


def extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def store_upload(
    agreement: Agreement, stream: BinaryIO, filename: str | None, description: str = ""
) -> Document:
    """Save an uploaded file for ``agreement`` as the acting user; raises DocumentError for a
    refused file.

    The caller commits; if it does not, the stored file is an orphan and harmless.
    """
    user = current_actor()
    ensure(user, "upload", agreement)
    if problem := text_problems(Document, description=description or "").get("description"):
        raise DocumentError(problem, "description")
    if agreement.archived:
        raise DocumentError(_l("Restore the agreement before you add documents."))
    display = clean_filename(filename)
    ext = extension(display)
    if ext not in allowed_extensions():
        raise DocumentError(
            _l(
                "Files of this type cannot be attached. Allowed types: %(types)s.",
                types=", ".join(allowed_extensions()),
            )
        )
    stored_name = uuid.uuid4().hex
    path = upload_folder() / stored_name
    digest, size, limit = hashlib.sha256(), 0, max_bytes()
    try:
        with path.open("xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise DocumentError(
                        _l(
                            "The file is larger than %(size)s MB.",
                            size=LocalNumber(current_app.config["CRM_MAX_DOCUMENT_MB"]),
                        )
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DocumentError(_l("The file is empty."))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    document = Document(
        agreement=agreement,
        filename=display,
        stored_name=stored_name,
        content_type=mimetypes.guess_type(display)[0] or "application/octet-stream",
        size=size,
        sha256=digest.hexdigest(),
        uploaded_at=utcnow(),
        uploaded_by_id=user.id,
        description=(description or "").strip(),
    )
    db.session.add(document)
    db.session.flush()
    return document


def get_document(agreement: Agreement, document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or document.agreement_id != agreement.id:
        raise NotFound()
    return document


def verified_path(document: Document) -> Path:
    """The stored file, after checking that its size and SHA-256 still match the record."""
    path = upload_folder() / document.stored_name
    if not path.is_file():
        raise DocumentError(_l("The stored file is missing. Tell an administrator."))
    digest = hashlib.sha256()
    with path.open("rb") as stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
    if path.stat().st_size != document.size or digest.hexdigest() != document.sha256:
        current_app.logger.error("Checksum mismatch for document %s (%s)", document.id, path)
        raise DocumentError(
            _l(
                "The stored file does not match its checksum; it may be damaged "
                "or altered. It was not sent. Tell an administrator."
            )
        )
    return path
