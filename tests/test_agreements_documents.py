"""Agreement documents: upload with checksum and limits, verified download, archive;
and milestones."""

import hashlib
import io
from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from crm.agreements.documents import clean_filename
from crm.agreements.models import Document, Milestone
from crm.audit import AuditEntry
from crm.extensions import db


def _documents(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Document).order_by(Document.id)))


def _upload(client, agreement, content: bytes, name: str, **data):
    return client.post(
        f"/agreements/{agreement.id}/documents",
        data={"file": (io.BytesIO(content), name), **data},
        content_type="multipart/form-data",
    )


def test_upload_stores_checksum_size_and_download_returns_same_bytes(
    app, auth, client, make_agreement
):
    user = auth.login("staff")
    agreement = make_agreement()
    content = b"%PDF-1.4 signed memorandum\n" * 100
    response = _upload(
        client, agreement, content, "تفاهم‌نامه امضا شده.pdf", description="Signed copy"
    )
    assert response.status_code == 302
    (document,) = _documents(app)
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.filename == "تفاهم‌نامه امضا شده.pdf"
    assert document.content_type == "application/pdf"
    assert document.uploaded_by_id == user.id
    stored = Path(app.config["UPLOAD_FOLDER"]) / document.stored_name
    assert stored.read_bytes() == content and document.stored_name not in document.filename

    download = client.get(f"/agreements/{agreement.id}/documents/{document.id}")
    assert download.status_code == 200
    assert download.data == content
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "تفاهم‌نامه امضا شده.pdf" in page and "2.6 KB" in page


def test_too_large_file_is_refused_with_a_message(app, auth, client, make_agreement):
    app.config["CRM_MAX_DOCUMENT_MB"] = 1
    auth.login("staff")
    agreement = make_agreement()
    # Encoded in memory: the test client's own spooled file for big bodies is never closed.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.pdf")}
    )
    response = client.post(
        f"/agreements/{agreement.id}/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "The file is larger than 1 MB." in response.get_data(as_text=True)
    assert _documents(app) == []
    assert list(Path(app.config["UPLOAD_FOLDER"]).iterdir()) == []  # no partial file left


def test_file_of_a_refused_type_is_refused_with_a_message(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    response = _upload(client, agreement, b"MZ...", "setup.exe")
    assert response.status_code == 400
    assert "Files of this type cannot be attached." in response.get_data(as_text=True)
    assert _documents(app) == []


def test_upload_without_a_file_is_refused(auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    response = client.post(
        f"/agreements/{agreement.id}/documents", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_tampered_file_on_disk_is_detected_on_download(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    _upload(client, agreement, b"original content", "minutes.txt")
    (document,) = _documents(app)
    (Path(app.config["UPLOAD_FOLDER"]) / document.stored_name).write_bytes(b"altered content!")
    response = client.get(
        f"/agreements/{agreement.id}/documents/{document.id}", follow_redirects=True
    )
    assert response.status_code == 200
    assert "does not match its checksum" in response.get_data(as_text=True)


def test_missing_file_on_disk_gives_a_message_not_an_error(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    _upload(client, agreement, b"content", "notes.txt")
    (document,) = _documents(app)
    (Path(app.config["UPLOAD_FOLDER"]) / document.stored_name).unlink()
    response = client.get(
        f"/agreements/{agreement.id}/documents/{document.id}", follow_redirects=True
    )
    assert "The stored file is missing." in response.get_data(as_text=True)


def test_viewer_cannot_upload_but_can_download(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    _upload(client, agreement, b"shared text", "notes.txt")
    (document,) = _documents(app)
    auth.logout()
    auth.login("viewer")
    assert _upload(client, agreement, b"x", "other.txt").status_code == 403
    download = client.get(f"/agreements/{agreement.id}/documents/{document.id}")
    assert download.data == b"shared text"
    download.close()


def test_documents_of_a_confidential_agreement_are_hidden_from_staff(
    app, auth, client, make_agreement
):
    auth.login("manager")
    agreement = make_agreement(confidentiality="confidential")
    _upload(client, agreement, b"secret", "secret.txt")
    (document,) = _documents(app)
    auth.logout()
    auth.login("staff")
    assert client.get(f"/agreements/{agreement.id}/documents/{document.id}").status_code == 404


def test_archiving_a_document_keeps_it_and_writes_audit(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    _upload(client, agreement, b"draft", "draft.docx")
    (document,) = _documents(app)
    url = f"/agreements/{agreement.id}/documents/{document.id}"
    assert client.post(url + "/archive").status_code == 302
    assert _documents(app)[0].archived
    assert client.post(url + "/restore").status_code == 302
    with app.app_context():
        actions = set(
            db.session.scalars(
                sa.select(AuditEntry.action).where(AuditEntry.object_type == "agreement_documents")
            )
        )
    assert actions == {"create", "archive", "restore"}


def test_clean_filename_keeps_persian_and_drops_paths_and_controls():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\me\\گزارش سفر.PDF") == "گزارش سفر.pdf"
    assert clean_filename("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert clean_filename("a<b>|c.txt") == "a_b__c.txt"
    assert clean_filename("") == "document"


def test_milestones_can_be_added_edited_and_marked_done(
    app, auth, client, make_agreement, make_user
):
    auth.login("staff", locale="fa")
    responsible = make_user("staff", display_name="Reza")
    agreement = make_agreement()
    response = client.post(
        f"/agreements/{agreement.id}/milestones",
        data={
            "title": "Exchange of delegations",
            "due_on": "۱۴۰۴/۰۲/۱۰",
            "responsible_id": str(responsible.id),
            "status": "open",
            "notes": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        milestone = db.session.scalar(sa.select(Milestone))
    assert (
        milestone.responsible_id == responsible.id and milestone.due_on.isoformat() == "2025-04-30"
    )
    edit_url = f"/agreements/{agreement.id}/milestones/{milestone.id}/edit"
    assert client.get(edit_url).status_code == 200
    bad = client.post(edit_url, data={"title": "", "status": "open"})
    assert bad.status_code == 400
    assert (
        client.post(f"/agreements/{agreement.id}/milestones/{milestone.id}/done").status_code == 302
    )
    with app.app_context():
        assert db.session.get(Milestone, milestone.id).status == "done"
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Exchange of delegations" in page and "Reza" in page


def test_milestone_without_title_is_refused_and_typed_data_kept(auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    response = client.post(
        f"/agreements/{agreement.id}/milestones",
        data={"title": "", "due_on": "2025-13-01", "status": "open", "notes": "keep me"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Describe the milestone." in body and "keep me" in body
