"""The committed migrations build the same schema as the models, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db
from crm.models import CooperationArea
from crm.reference import COOPERATION_AREAS


def _upgrade_and_compare(url: str) -> None:
    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        count = db.session.scalar(select(func.count()).select_from(CooperationArea))
        assert count == len(COOPERATION_AREAS)
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path):
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'migrated.db'}")


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql(postgres_database):
    _upgrade_and_compare(postgres_database)
