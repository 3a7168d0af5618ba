"""On SQLite, a long read (an export streaming for seconds) does not lock out a save."""

import pytest
from sqlalchemy import select, text

from crm.extensions import db
from crm.partners.models import Partner


def test_a_save_goes_through_while_a_long_read_is_open(ctx, make_partner):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking; PostgreSQL's readers never block writers")
    first, _second = make_partner(name_en="Kazan"), make_partner(name_en="Herat")
    with db.engine.connect() as reader:
        assert reader.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        rows = reader.execute(select(Partner.id).order_by(Partner.id))
        assert rows.fetchone() is not None  # the statement is still open, as in a streaming export
        partner = db.session.get(Partner, first.id)
        partner.name_en = "Kazan City"
        db.session.commit()  # in rollback-journal mode: "database is locked" after 5 s
        assert rows.fetchone() is not None
    db.session.expire_all()
    assert db.session.get(Partner, first.id).name_en == "Kazan City"
