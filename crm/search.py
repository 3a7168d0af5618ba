"""The search index: how a query's words find records without reading every search key.

Each searchable table is indexed on its ``search_key`` (see ``crm.text.search_key``) twice:

- PostgreSQL: a ``pg_trgm`` GIN index (``gin_trgm_ops``) serves ``search_key LIKE '%word%'`` for
  words of three letters or more; a GIN index on ``to_tsvector('simple', search_key)`` serves a
  ``word:*`` prefix query for shorter ones (قم, ری, "Wu"), which have no trigram.
- SQLite: two FTS5 tables over the table's key (external content, rowid = id), one with the
  ``trigram`` tokenizer (substring match for three letters or more), one with ``unicode61`` and
  one- and two-letter prefix indexes (word-prefix match for shorter words). Triggers on the
  table keep them in step with the key: they catch every way a key is written (the flush hook
  in crm.audit, the Core bulk seed, a migration rebuilding keys, plain SQL), where a Python hook
  would catch only the ORM. A batch migration that copies a searchable table on SQLite drops
  its triggers with it and must create them again (``sqlite_ddl``).

The index lives outside the models' metadata: DDL events make it with ``db.create_all()``, the
migration 0005 makes it for a deployment, and ``include_name`` hides it from Alembic's compare.
"""

import re
from typing import Any

from sqlalchemy import (
    DDL,
    ColumnElement,
    Table,
    and_,
    case,
    event,
    false,
    func,
    intersect,
    literal_column,
    or_,
    select,
    table,
    true,
    union,
)

from crm.extensions import db

TRIGRAM = 3  # the shortest word a trigram index can find
_SEARCH_TABLES = ("partners", "contacts", "agreements", "activities")
_FTS_NAME = re.compile(rf"^({'|'.join(_SEARCH_TABLES)})_(trigrams|words)(_\w+)?$")


def sqlite_ddl(name: str) -> list[str]:
    """The FTS5 tables and triggers that index ``name.search_key`` on SQLite."""
    copies = ("trigrams", "words")
    insert = "".join(
        f"INSERT INTO {name}_{c}(rowid, search_key) VALUES (new.id, new.search_key); "
        for c in copies
    )
    delete = "".join(
        f"INSERT INTO {name}_{c}({name}_{c}, rowid, search_key) "
        f"VALUES ('delete', old.id, old.search_key); "
        for c in copies
    )
    return [
        f"CREATE VIRTUAL TABLE {name}_trigrams USING fts5(search_key, content='{name}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE VIRTUAL TABLE {name}_words USING fts5(search_key, content='{name}', "
        "content_rowid='id', prefix='1 2')",
        f"CREATE TRIGGER {name}_search_insert AFTER INSERT ON {name} BEGIN {insert}END",
        f"CREATE TRIGGER {name}_search_delete AFTER DELETE ON {name} BEGIN {delete}END",
        f"CREATE TRIGGER {name}_search_update AFTER UPDATE OF search_key ON {name} "
        f"BEGIN {delete}{insert}END",
    ]


def postgres_ddl(name: str) -> list[str]:
    """The GIN indexes on ``name.search_key`` on PostgreSQL (pg_trgm must exist)."""
    return [
        f"CREATE INDEX ix_{name}_search_trigrams ON {name} USING gin (search_key gin_trgm_ops)",
        f"CREATE INDEX ix_{name}_search_words ON {name} "
        "USING gin (to_tsvector('simple'::regconfig, search_key))",
    ]


def attach(searchable: Table) -> None:
    """Make ``db.create_all()`` build the index of ``searchable`` and ``drop_all`` remove it."""
    name = searchable.name
    for statement in sqlite_ddl(name):
        event.listen(searchable, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    event.listen(
        searchable,
        "after_create",
        DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
    )
    for statement in postgres_ddl(name):
        event.listen(searchable, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for copy in ("trigrams", "words"):
        event.listen(
            searchable,
            "before_drop",
            DDL(f"DROP TABLE IF EXISTS {name}_{copy}").execute_if(dialect="sqlite"),
        )


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """For Alembic's compare: leave out the FTS5 tables (and their shadow tables) and the GIN
    indexes, which the models' metadata does not hold."""
    if type_ == "table":
        return not _FTS_NAME.match(name or "")
    if type_ == "index":
        return not (name or "").endswith(("_search_trigrams", "_search_words"))
    return True


def _short(word: str) -> str:
    """A short word as a prefix query may hold it: its letters and digits (the tokenizers
    split words at anything else)."""
    return "".join(ch for ch in word if ch.isalnum())


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def index_match(searchable: Any, spellings: list[list[str]]) -> ColumnElement[bool]:
    """A WHERE clause on ``searchable`` (a model with ``id`` and ``search_key``): for one of
    ``spellings`` (``crm.text.search_spellings``), every word occurs in the key, a word shorter
    than three letters at the start of one of its words. Both kinds are served by an index."""
    kinds = [_kinds(words) for words in spellings if words]
    if not kinds:
        return true()
    kinds = [(long, short) for long, short in kinds if long or short]
    if not kinds:
        return false()  # only marks that no index holds (``%``, ``؟``): nothing to find
    if db.engine.dialect.name == "postgresql":
        return or_(*(and_(*_postgres(searchable, long, short)) for long, short in kinds))
    ids = [_sqlite_ids(searchable.__tablename__, long, short) for long, short in kinds]
    return searchable.id.in_(ids[0] if len(ids) == 1 else union(*ids))


def _kinds(words: list[str]) -> tuple[list[str], list[str]]:
    """The words a trigram index finds, and the short ones (as a prefix query holds them)."""
    long = [w for w in words if len(w) >= TRIGRAM]
    return long, [s for s in (_short(w) for w in words if len(w) < TRIGRAM) if s]


def _postgres(searchable: Any, long: list[str], short: list[str]) -> list[ColumnElement[bool]]:
    clauses = [searchable.search_key.contains(w, autoescape=True) for w in long]
    if short:
        simple = literal_column("'simple'::regconfig")
        vector = func.to_tsvector(simple, searchable.search_key)
        prefixes = " & ".join(f"'{s}':*" for s in short)
        clauses.append(vector.op("@@")(func.to_tsquery(simple, prefixes)))
    return clauses


def _sqlite_ids(name: str, long: list[str], short: list[str]) -> Any:
    """The rowids the FTS5 tables of ``name`` find (their intersection for both kinds)."""
    found = []
    for copy, query in (
        ("trigrams", " AND ".join(_fts_phrase(w) for w in long)),
        ("words", " AND ".join(_fts_phrase(s) + "*" for s in short)),
    ):
        if query:
            fts = table(f"{name}_{copy}", literal_column("rowid"))
            match = literal_column(f"{name}_{copy}").op("MATCH")(query)
            rowid = literal_column("rowid").label("id")
            found.append(select(rowid).select_from(fts).where(match))
    if len(found) == 1:
        return found[0]
    both = intersect(*found).subquery()  # SQLite nests a compound only as a subquery
    return select(both.c.id)


def word_start_first(searchable: Any, words: list[str]) -> list[ColumnElement[int]]:
    """The first ORDER BY term among the matches (none without words): 0 when every word
    starts a word of the key (a name typed from its start), else 1. Evaluated only on the rows
    the index found."""
    if not words:
        return []
    key = " " + searchable.search_key
    return [case((and_(*(key.contains(" " + w, autoescape=True) for w in words)), 0), else_=1)]
