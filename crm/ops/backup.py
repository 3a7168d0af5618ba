"""Backup and restore (``flask crm backup`` / ``flask crm restore``): one ``.tar.gz`` holding

- ``database/crm.sqlite3`` (SQLite's online backup) or ``database/crm.pgdump`` (``pg_dump``'s
  custom format),
- ``files/…``: every file of the upload folder (the agreements' documents),
- ``manifest.json``: the format, the time (UTC), the app's version, the database's kind and
  schema revision, the rows of every table, and the size and SHA-256 of every other file.

A restore refuses, before it writes anything, an archive whose files do not match the
manifest, a schema revision this code's migrations do not know, a database that holds records
(the cooperation areas `flask db upgrade` adds aside) and an upload folder that holds files.
"""

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask import current_app

from crm.extensions import db
from crm.ops import dumps
from crm.ops.dumps import BackupError
from crm.ops.version import running_version

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"sqlite": "database/crm.sqlite3", "postgresql": "database/crm.pgdump"}
CHUNK = 1024 * 1024

Say = Callable[[str], None]


class _Hashing:
    """A file read through, its SHA-256 computed on what was read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        return chunk


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    """Add the file at ``path`` as ``name``; its size and checksum for the manifest."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = path.stat().st_size, 0o600, int(path.stat().st_mtime)
    with path.open("rb") as stream:
        reader = _Hashing(stream)
        tar.addfile(info, reader)
    return {"size": info.size, "sha256": reader.digest.hexdigest()}


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def create_backup(output: Path, say: Say) -> Path:
    """Write the archive into the folder ``output``; returns its path. Mode 0600: it holds
    personal data."""
    url = db.engine.url
    kind = url.get_backend_name()
    output.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    archive = output / f"crm-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    partial = archive.with_name(archive.name + ".partial")
    with tempfile.TemporaryDirectory(dir=output, prefix=".crm-backup-") as work:
        dump = Path(work) / PurePosixPath(DUMPS[kind]).name
        say(f"Dumping the {kind} database…")
        if kind == "sqlite":
            revision, counts = dumps.dump_sqlite(url, dump)
        else:
            revision, counts = dumps.dump_postgresql(url, dump)
        files: dict[str, dict[str, Any]] = {}
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                files[DUMPS[kind]] = _add(tar, dump, DUMPS[kind])
                folder = _uploads()
                found = (
                    sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
                )
                say(f"Adding {len(found)} uploaded files from {folder}…")
                for path in found:
                    name = f"files/{path.relative_to(folder).as_posix()}"
                    files[name] = _add(tar, path, name)
                manifest = {
                    "format": FORMAT,
                    "created_at": now.isoformat().replace("+00:00", "Z"),
                    "app": running_version(),
                    "database": {"kind": kind, "revision": revision, "dump": DUMPS[kind]},
                    "tables": counts,
                    "files": files,
                }
                manifest_path = Path(work) / MANIFEST
                manifest_path.write_text(
                    json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
                )
                tar.add(manifest_path, MANIFEST, filter=_private)
            os.replace(partial, archive)
        finally:
            partial.unlink(missing_ok=True)
    say(f"Backed up {sum(counts.values())} rows of {len(counts)} tables and {len(found)} files.")
    return archive


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _unpack(archive: Path, staging: Path) -> dict[str, Any]:
    """Extract the archive into ``staging``; the manifest, once every file's size and
    checksum matched it and nothing else was in the archive."""
    seen: dict[str, dict[str, Any]] = {}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = PurePosixPath(member.name)
                if not member.isfile() or name.is_absolute() or ".." in name.parts:
                    raise BackupError(f"The archive holds an unexpected entry: {member.name!r}.")
                target = staging.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                reader = _Hashing(source)
                with target.open("wb") as out:
                    shutil.copyfileobj(reader, out, CHUNK)
                seen[member.name] = {"size": member.size, "sha256": reader.digest.hexdigest()}
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"{archive} is not a readable backup archive ({error}).") from None
    if MANIFEST not in seen:
        raise BackupError(f"{archive} holds no {MANIFEST}: it is not a CRM backup.")
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
        expected = manifest["files"]
        kind = manifest["database"]["kind"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"The {MANIFEST} of {archive} cannot be read.") from None
    if manifest.get("format") != FORMAT or kind not in DUMPS:
        raise BackupError(f"{archive} is of a format this version cannot restore.")
    del seen[MANIFEST]
    wrong = sorted(n for n in expected.keys() | seen.keys() if expected.get(n) != seen.get(n))
    if wrong:
        listed = ", ".join(wrong[:5]) + (" …" if len(wrong) > 5 else "")
        raise BackupError(
            f"{len(wrong)} files of the archive do not match their checksum in the manifest "
            f"(changed, missing or added): {listed}. Nothing was restored."
        )
    return manifest


def _migrations() -> tuple[set[str], set[str]]:
    """The heads and all the revisions of this code's migrations."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return set(script.get_heads()), {rev.revision for rev in script.walk_revisions()}


def restore_backup(archive: Path, say: Say) -> list[str]:
    """Restore the archive into the app's empty database and upload folder; returns what the
    operator must do next (nothing, or run ``flask db upgrade``)."""
    url = db.engine.url
    kind = url.get_backend_name()
    if records := dumps.records_in(url, set(db.metadata.tables)):
        tables = [f"{name} ({rows})" for name, rows in sorted(records.items())]
        more = f" and {len(tables) - 5} more tables" if len(tables) > 5 else ""
        raise BackupError(
            f"The database {url.render_as_string()} is not empty: it holds records in "
            f"{', '.join(tables[:5])}{more}. Restore only into a new, empty database."
        )
    folder = _uploads()
    if folder.is_dir() and any(folder.iterdir()):
        raise BackupError(f"The upload folder {folder} is not empty: restore into an empty one.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".crm-restore-") as work:
        staging = Path(work)
        say(f"Reading and checking {archive}…")
        manifest = _unpack(archive, staging)
        source = manifest["database"]
        if source["kind"] != kind:
            raise BackupError(
                f"The archive holds a {source['kind']} database and DATABASE_URL names a {kind} "
                f"one: restore it into {source['kind']}."
            )
        heads, known = _migrations()
        revision = source["revision"]
        if revision is not None and revision not in known:
            raise BackupError(
                f"The archive's schema revision {revision} is unknown to this code (its newest "
                f"is {', '.join(sorted(heads))}): restore it with the version that made it, "
                f"{manifest['app'].get('version')} (commit {manifest['app'].get('commit')})."
            )
        say(f"Restoring the {kind} database…")
        dump = staging / source["dump"]
        if kind == "sqlite":
            dumps.restore_sqlite(url, dump)
        else:
            dumps.restore_postgresql(url, dump)
        files = [name for name in manifest["files"] if name.startswith("files/")]
        say(f"Restoring {len(files)} uploaded files into {folder}…")
        folder.mkdir(exist_ok=True)
        for name in files:
            target = folder.joinpath(*PurePosixPath(name).parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
    _check_counts(manifest["tables"])
    if revision is None:
        return ["The archive records no schema revision: check the schema before serving."]
    if revision not in heads:
        return [
            f"The restored schema is at revision {revision}, older than this code's: run "
            "`flask --app app db upgrade` before starting the app."
        ]
    return []


def _check_counts(expected: dict[str, int]) -> None:
    """The restored database holds the rows the manifest counted, table by table."""
    engine = dumps.engine_for(db.engine.url)
    try:
        with engine.connect() as conn:
            _revision, counts = dumps.contents(conn)
    finally:
        engine.dispose()
    if differ := sorted(
        n for n in expected.keys() | counts.keys() if expected.get(n) != counts.get(n)
    ):
        raise BackupError(
            "The restored database does not hold the rows the manifest counted in "
            f"{', '.join(differ)}: do not use it; restore into a new, empty database again."
        )
