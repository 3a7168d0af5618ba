"""``flask crm backup`` and ``flask crm restore``: a round trip on SQLite and PostgreSQL gives
back every row and every file; a non-empty target, a tampered archive and an unknown schema
revision are refused before anything is written."""

import hashlib
import io
import json
import stat
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db, limiter
from tests.conftest import PASSWORD, create_scratch_database, drop_scratch_database

DOCUMENT = b"%PDF-1.4 \xd8\xaa\xd9\x81\xd8\xa7\xd9\x87\xd9\x85 signed memorandum\n" * 300


@contextmanager
def crm_app(url: str, folder: Path) -> Iterator[Flask]:
    """An app on the database ``url``, its instance and upload folders in ``folder``."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "CRM_INSTANCE_PATH": str(folder / "instance"),
    }
    app = create_app(type("BackupConfig", (TestConfig,), settings))
    limiter.reset()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _seed(app: Flask) -> int:
    """A migrated database with partners (Persian names), contacts, an agreement and one
    document uploaded through the app; returns the agreement's id."""
    from crm.agreements.models import Agreement
    from crm.auth.services import UserData, create_user
    from crm.partners.models import Contact, Partner

    with app.app_context():
        upgrade()
        create_user(UserData(email="it@example.org", display_name="مریم احمدی", password=PASSWORD))
        cities = [("Kuala Lumpur", "کوالالامپور", "MY"), ("Istanbul", "استانبول", "TR")]
        partners = [
            Partner(kind="city", domain="cities", name_en=en, name_fa=fa, country=country)
            for en, fa, country in cities
        ]
        contacts = [
            Contact(partner=partners[0], name_latin="Aida Rahman", name_fa="آیدا رحمان"),
            Contact(partner=partners[1], name_latin="Ayşe Yılmaz", name_fa="عایشه ییلماز"),
        ]
        agreement = Agreement(
            type="memorandum",
            title_en="Memorandum on urban transport",
            title_fa="تفاهم‌نامه حمل‌ونقل شهری",
            stage="drafting",
            confidentiality="internal",
            parties=partners,
        )
        db.session.add_all([*partners, *contacts, agreement])
        db.session.commit()
        agreement_id = agreement.id
    client = app.test_client()
    client.post("/login", data={"email": "it@example.org", "password": PASSWORD})
    response = client.post(
        f"/agreements/{agreement_id}/documents",
        data={"file": (io.BytesIO(DOCUMENT), "تفاهم‌نامه امضا شده.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return agreement_id


def _rows(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table of the app (and Alembic's), in primary-key order."""
    with app.app_context():
        tables = [*db.metadata.sorted_tables, sa.table("alembic_version", sa.column("version_num"))]
        rows = {}
        with db.engine.connect() as conn:
            for table in tables:
                order = list(table.primary_key) if isinstance(table, sa.Table) else []
                query = sa.select(table).order_by(*(order or table.columns))
                rows[table.name] = [tuple(row) for row in conn.execute(query)]
        return rows


def _files(app: Flask) -> dict[str, bytes]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}


def _backup(app: Flask, output: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["crm", "backup", "--output", str(output)])
    assert result.exit_code == 0, result.output
    archive = Path(result.stdout.strip())
    assert result.stdout == f"{archive}\n"  # the path alone: progress went to standard error
    assert archive.parent == output and archive.name.endswith(".tar.gz")
    return archive


def _restore(app: Flask, archive: Path):
    return app.test_cli_runner().invoke(args=["crm", "restore", str(archive)])


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.load(member)


def _round_trip(source_url: str, target_url: str, tmp_path: Path, kind: str) -> None:
    with crm_app(source_url, tmp_path / "source") as source:
        agreement_id = _seed(source)
        archive = _backup(source, tmp_path / "backups")
        rows, files = _rows(source), _files(source)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = _manifest(archive)
    assert manifest["database"]["kind"] == kind
    with source.app_context():
        from crm.ops.backup import _migrations

        assert {manifest["database"]["revision"]} == _migrations()[0]
    assert manifest["tables"]["partners"] == 2 and manifest["tables"]["contacts"] == 2
    assert manifest["app"]["version"] and manifest["created_at"].endswith("Z")
    (name,) = files
    assert manifest["files"][f"files/{name}"] == {
        "size": len(DOCUMENT),
        "sha256": hashlib.sha256(DOCUMENT).hexdigest(),
    }
    dump = manifest["database"]["dump"]
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) == {"manifest.json", dump, f"files/{name}"}
        dumped = tar.extractfile(dump)
        assert dumped is not None
        assert hashlib.sha256(dumped.read()).hexdigest() == manifest["files"][dump]["sha256"]

    with crm_app(target_url, tmp_path / "target") as target:
        result = _restore(target, archive)
        assert result.exit_code == 0, result.output
        assert "db upgrade" not in result.output
        assert _rows(target) == rows
        assert _files(target) == files
        client = target.test_client()
        client.post("/login", data={"email": "it@example.org", "password": PASSWORD})
        page = client.get("/partners/").get_data(as_text=True)
        assert "کوالالامپور" in page and "استانبول" in page
        with target.app_context():
            from crm.agreements.models import Document

            document_id = db.session.scalar(sa.select(Document.id))
        download = client.get(f"/agreements/{agreement_id}/documents/{document_id}")
        assert download.status_code == 200 and download.data == DOCUMENT
        download.close()


def test_backup_and_restore_give_back_every_row_and_file_on_sqlite(tmp_path):
    source, target = tmp_path / "source.db", tmp_path / "target" / "restored.db"
    _round_trip(f"sqlite:///{source}", f"sqlite:///{target}", tmp_path, "sqlite")


@pytest.fixture
def second_postgres_database(postgres_server_url):
    url = create_scratch_database(postgres_server_url)
    yield url
    drop_scratch_database(postgres_server_url, url)


@pytest.mark.postgres
def test_backup_and_restore_give_back_every_row_and_file_on_postgresql(
    postgres_database, second_postgres_database, tmp_path
):
    with crm_app(second_postgres_database, tmp_path / "new") as target, target.app_context():
        upgrade()  # a new deployment's database: the schema and the reference rows, no record
    _round_trip(postgres_database, second_postgres_database, tmp_path, "postgresql")


@pytest.mark.postgres
def test_backup_without_pg_dump_says_what_to_install(postgres_database, tmp_path, monkeypatch):
    with crm_app(postgres_database, tmp_path) as app:
        with app.app_context():
            upgrade()
        monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
        result = app.test_cli_runner().invoke(args=["crm", "backup", "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output and "postgresql-client" in result.output
    assert list(tmp_path.glob("*.tar.gz*")) == []


@pytest.fixture
def archive(tmp_path) -> Path:
    """A backup of a seeded SQLite database."""
    with crm_app(f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "source") as source:
        _seed(source)
        return _backup(source, tmp_path / "backups")


def _rewritten(archive: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of the archive with ``change(name, data)`` applied to each entry's bytes."""
    copy = archive.with_name("changed.tar.gz")
    with tarfile.open(archive) as source, tarfile.open(copy, "w:gz") as target:
        for member in source:
            stream = source.extractfile(member)
            assert stream is not None
            data = change(member.name, stream.read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


def _flip_byte(prefix: str) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if not name.startswith(prefix):
            return data
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]

    return change


@pytest.mark.parametrize("prefix", ["database/", "files/"])
def test_a_tampered_archive_is_refused_and_nothing_written(archive, tmp_path, prefix):
    tampered = _rewritten(archive, _flip_byte(prefix))
    target_db = tmp_path / "target" / "restored.db"
    with crm_app(f"sqlite:///{target_db}", tmp_path / "target") as target:
        result = _restore(target, tampered)
        assert result.exit_code == 1
        assert "do not match their checksum" in result.output
        assert prefix in result.output and "Nothing was restored" in result.output
        assert not target_db.exists()
        assert _files(target) == {}


def test_a_database_with_records_is_refused_and_kept(archive, tmp_path):
    from crm.partners.models import Partner

    with crm_app(f"sqlite:///{tmp_path / 'busy.db'}", tmp_path / "busy") as target:
        with target.app_context():
            upgrade()
            db.session.add(Partner(kind="city", domain="cities", name_en="Kazan", name_fa="قازان"))
            db.session.commit()
        before = _rows(target)
        result = _restore(target, archive)
        assert result.exit_code == 1
        assert "is not empty: it holds records in" in result.output
        assert "partners (1)" in result.output and "new, empty database" in result.output
        assert _rows(target) == before and _files(target) == {}


def test_an_upload_folder_with_files_is_refused(archive, tmp_path):
    target_db = tmp_path / "target.db"
    with crm_app(f"sqlite:///{target_db}", tmp_path / "target") as target:
        folder = Path(target.config["UPLOAD_FOLDER"])
        folder.mkdir(parents=True)
        (folder / "left-over").write_bytes(b"an older document")
        result = _restore(target, archive)
        assert result.exit_code == 1
        assert f"The upload folder {folder} is not empty" in result.output
        assert not target_db.exists() and _files(target) == {"left-over": b"an older document"}


def test_an_archive_from_a_newer_schema_is_refused(archive, tmp_path):
    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"]["revision"] = "0099_from_the_future"
        return json.dumps(manifest).encode()

    target_db = tmp_path / "target.db"
    with crm_app(f"sqlite:///{target_db}", tmp_path / "target") as target:
        result = _restore(target, _rewritten(archive, newer))
        assert result.exit_code == 1
        assert "revision 0099_from_the_future is unknown to this code" in result.output
        assert not target_db.exists() and _files(target) == {}


def _names(app: Flask) -> list[tuple]:
    with app.app_context(), db.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(sa.text("SELECT name_en, name_fa FROM partners ORDER BY id"))
        ]


def test_an_older_schema_is_restored_and_then_upgraded(tmp_path):
    with crm_app(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "old") as source:
        _seed(source)
        with source.app_context():
            downgrade(revision="-1")
            db.session.remove()
        older = _backup(source, tmp_path / "backups")
        partners = _names(source)
    with crm_app(f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "new") as target:
        result = _restore(target, older)
        assert result.exit_code == 0, result.output
        assert "older than this code's: run `flask --app app db upgrade`" in result.output
        upgraded = target.test_cli_runner().invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert (
            _names(target)
            == partners
            == [("Kuala Lumpur", "کوالالامپور"), ("Istanbul", "استانبول")]
        )
