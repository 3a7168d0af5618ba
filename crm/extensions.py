"""Extensions, created unbound and bound to the app in ``create_app``."""

import sqlite3
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay loaded after commit, so the audit log sees the old value of a later change.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
if TYPE_CHECKING:  # what type checkers see of db.Model: our declarative base
    Model = Base
else:
    Model = db.Model
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection, connection_record) -> None:
    """SQLite files run in write-ahead-log mode: a long read (an export streaming for seconds)
    does not lock out a save or a sign-in, which otherwise wait and fail with "database is
    locked". The mode stays with the file; an in-memory database ignores it."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


@event.listens_for(Engine, "connect")
def _postgresql_without_jit(dbapi_connection, connection_record) -> None:
    """PostgreSQL sessions plan without JIT compilation. It starts when a plan's estimated cost
    passes ``jit_above_cost``, which the dashboard's count of a year of activities per month
    does: compiling took 70 ms of a 106 ms query, for queries that run in milliseconds. What
    pays for JIT, long analytic queries over millions of rows, is not what a CRM sends."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
