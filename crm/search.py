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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    ColumnClause,
    ColumnElement,
    Select,
    Table,
    and_,
    event,
    false,
    func,
    intersect,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    union,
    union_all,
)
from sqlalchemy.sql.elements import False_

from crm.extensions import db
from crm.text import search_spellings

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


def _gin_indexes(name: str) -> tuple[str, str]:
    return f"ix_{name}_search_trigrams", f"ix_{name}_search_words"


def postgres_ddl(name: str) -> list[str]:
    """The GIN indexes on ``name.search_key`` on PostgreSQL (pg_trgm must exist)."""
    trigrams, words = _gin_indexes(name)
    return [
        f"CREATE INDEX {trigrams} ON {name} USING gin (search_key gin_trgm_ops)",
        f"CREATE INDEX {words} ON {name} USING gin (to_tsvector('simple'::regconfig, search_key))",
    ]


def merge_pending_entries() -> int:
    """PostgreSQL: move the entries that inserts left in the GIN indexes' pending lists into
    the indexes proper, as a vacuum does; returns how many pages of pending entries there were.
    Until then every search reads the whole pending list (up to ``gin_pending_list_limit``):
    after a bulk insert, a few milliseconds a query."""
    merge = text("SELECT gin_clean_pending_list(CAST(:index AS regclass))")
    return sum(
        db.session.scalar(merge, {"index": index}) or 0
        for name in _SEARCH_TABLES
        for index in _gin_indexes(name)
    )


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


def index_match(
    searchable: Any, spellings: list[list[str]], walk: bool = False
) -> ColumnElement[bool]:
    """A WHERE clause on ``searchable`` (a model with ``id`` and ``search_key``): for one of
    ``spellings`` (``crm.text.search_spellings``), every word occurs in the key, a word shorter
    than three letters at the start of one of its words. Both kinds are served by an index.

    With ``walk``, the same test row by row, for a plan that walks the index of a list's order
    and stops at the page's last row, where SQLite would read every match from the search index
    and sort them: far faster when the matches are many (a list asks for it past its count's
    cap, see ``crm.lists``; global search on PostgreSQL for a common word, see ``best_ids_of``).
    A long word is then found by its position in the key (``instr``, ``strpos``: a substring,
    as the trigram index finds it), short words by ``ts_match_vq`` (PostgreSQL) or in the set
    the word index finds by ``id + 0`` (SQLite): tests no index serves, so only the order's
    index can drive the plan."""
    kinds = _all_kinds(spellings)
    if isinstance(kinds, bool):
        return true() if kinds else false()
    if db.engine.dialect.name == "postgresql" or walk:
        return or_(*(and_(*_tests(searchable, long, short, walk)) for long, short in kinds))
    return searchable.id.in_(_sqlite_match_ids(searchable, kinds))


def join_match(stmt: Select, searchable: Any, text: str | None) -> Select:
    """``stmt`` narrowed to the rows of ``searchable`` that match ``text``, as ``index_match``.
    On SQLite the ids the search index finds are joined rather than tested with ``IN``: a join
    reads them as it goes, so a count that stops at a cap reads only as many as it counts,
    where ``IN`` first reads every match (54,000 for a common word)."""
    kinds = _all_kinds(search_spellings(text))
    if db.engine.dialect.name == "postgresql" or isinstance(kinds, bool):
        return stmt.where(index_match(searchable, search_spellings(text)))
    ids = _sqlite_match_ids(searchable, kinds).subquery()
    return stmt.join(ids, ids.c.id == searchable.id)


def match_ids(searchable: Any, spellings: list[list[str]]) -> Select[Any]:
    """The ids of the rows of ``searchable`` that ``index_match`` finds, without reading the
    rows on SQLite (straight from the search index)."""
    kinds = _all_kinds(spellings)
    if db.engine.dialect.name == "postgresql" or isinstance(kinds, bool):
        return select(searchable.id).where(index_match(searchable, spellings))
    ids = _sqlite_match_ids(searchable, kinds)
    return ids if isinstance(ids, Select) else select(ids.subquery().c.id)


def _all_kinds(spellings: list[list[str]]) -> list[tuple[list[str], list[str]]] | bool:
    """The long and short words of each spelling; True when there is nothing to search for,
    False when only marks no index holds (``%``, ``؟``): nothing to find."""
    kinds = [_kinds(words) for words in spellings if words]
    if not kinds:
        return True
    kinds = [(long, short) for long, short in kinds if long or short]
    return kinds or False


def _sqlite_match_ids(searchable: Any, kinds: list[tuple[list[str], list[str]]]) -> Any:
    ids = [_sqlite_ids(searchable.__tablename__, long, short) for long, short in kinds]
    return ids[0] if len(ids) == 1 else union(*ids)


def _tests(
    searchable: Any, long: list[str], short: list[str], walk: bool
) -> list[ColumnElement[bool]]:
    """The tests of one spelling's words: on PostgreSQL those its indexes serve (``LIKE``, the
    word index's tsquery); with ``walk``, row by row, with functions no index serves (where
    the word is in the key, ``ts_match_vq``; on SQLite the short words' set by ``id + 0``)."""
    postgres = db.engine.dialect.name == "postgresql"
    if walk:
        position = func.strpos if postgres else func.instr
        clauses = [position(searchable.search_key, w) > 0 for w in long]
    else:
        clauses = [searchable.search_key.contains(w, autoescape=True) for w in long]
    if short and postgres:
        clauses.append(_prefix_query(searchable, " & ".join(f"'{s}':*" for s in short), walk))
    elif short:
        query = " AND ".join(_fts_phrase(s) + "*" for s in short)
        clauses.append(
            (searchable.id + 0).in_(_fts_rowids(f"{searchable.__tablename__}_words", query))
        )
    return clauses


def _kinds(words: list[str]) -> tuple[list[str], list[str]]:
    """The words a trigram index finds, and the short ones (as a prefix query holds them)."""
    long = [w for w in words if len(w) >= TRIGRAM]
    return long, [s for s in (_short(w) for w in words if len(w) < TRIGRAM) if s]


def _sqlite_ids(name: str, long: list[str], short: list[str]) -> Any:
    """The rowids the FTS5 tables of ``name`` find (their intersection for both kinds)."""
    found = []
    for copy, query in (
        ("trigrams", " AND ".join(_fts_phrase(w) for w in long)),
        ("words", " AND ".join(_fts_phrase(s) + "*" for s in short)),
    ):
        if query:
            found.append(_fts_rowids(f"{name}_{copy}", query))
    if len(found) == 1:
        return found[0]
    both = intersect(*found).subquery()  # SQLite nests a compound only as a subquery
    return select(both.c.id)


def word_starts(
    searchable: Any, spellings: list[list[str]], walk: bool = False
) -> ColumnElement[bool]:
    """PostgreSQL: a WHERE clause: for one of ``spellings``, every word starts a word of the
    key (the word index serves it). The best matches: a name typed from its start. ``walk``:
    the same test row by row (see ``index_match``). SQLite joins ``_sqlite_word_start_ids``."""
    prefixes = _prefixes(spellings)
    if not prefixes:
        return false()
    query = " | ".join("(" + " & ".join(f"'{w}':*" for w in words) + ")" for words in prefixes)
    return _prefix_query(searchable, query, walk)


def _sqlite_word_start_ids(searchable: Any, spellings: list[list[str]]) -> Select[Any] | None:
    """SQLite: the ids whose key has a word starting with each word of one of ``spellings``,
    from the word index; None when no spelling has a word to look for."""
    prefixes = _prefixes(spellings)
    if not prefixes:
        return None
    query = " OR ".join(
        "(" + " AND ".join(_fts_phrase(w) + "*" for w in words) + ")" for words in prefixes
    )
    return _fts_rowids(f"{searchable.__tablename__}_words", query)


def _prefixes(spellings: list[list[str]]) -> list[list[str]]:
    """The words of each spelling as a word index holds their starts; spellings with a word of
    marks only are left out."""
    prefixes = [[_short(w) for w in words] for words in spellings if words]
    return [words for words in prefixes if all(words)]


def _prefix_query(searchable: Any, query: str, walk: bool = False) -> ColumnElement[bool]:
    """PostgreSQL: the key's words (the ``simple`` configuration) match the tsquery ``query``;
    the same expression as the word index, so the index serves it, or with ``walk`` the
    function behind ``@@``, which no index serves."""
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    vector = func.to_tsvector(simple, searchable.search_key)
    tsquery = func.to_tsquery(simple, query)
    if walk:
        return func.ts_match_vq(vector, tsquery, type_=Boolean)
    return vector.op("@@")(tsquery)


def _fts_rowids(fts: str, query: str) -> Select[Any]:
    """SQLite: the rowids (ids) that the FTS5 table ``fts`` finds for ``query``."""
    rowid: ColumnClause[Any] = literal_column("rowid")
    found = select(rowid.label("id")).select_from(table(fts, rowid))
    return found.where(literal_column(fts).op("MATCH")(query))


MANY = 100  # PostgreSQL: matches from which a global search walks the newest rows first
WINDOW = 2_000  # and how many of the newest rows it walks before it asks the search index


@dataclass(frozen=True)
class Wanted:
    """What a search asks of one searchable model: the rows that pass ``where``, ``limit`` at
    most."""

    searchable: Any
    where: list
    limit: int


def best_ids(searchable: Any, text: str | None, where: list, limit: int) -> list[int]:
    """The ids of up to ``limit`` rows of ``searchable`` that match ``text`` and pass
    ``where``, best first (see ``best_ids_of``)."""
    return best_ids_of(text, {"rows": Wanted(searchable, where, limit)})["rows"]


def best_ids_of(text: str | None, wanted: dict[str, Wanted]) -> dict[str, list[int]]:
    """For each of ``wanted``, the ids of its best matches for ``text``: those whose words
    start with the query's words first, then the others, the newest first in each. The ids come
    only from the search index (or, on PostgreSQL, for a common word, from the newest rows);
    the rows themselves are loaded afterwards, only for the chosen ids.

    On PostgreSQL, where each statement costs a round trip, one statement tells which models
    the word is common in (``MANY`` matches or more) and one gives the ids of all the others;
    a common word takes a few statements of its own (``_newest_first``)."""
    spellings = search_spellings(text)
    if db.engine.dialect.name != "postgresql":
        return {
            name: _sqlite_best(w.searchable, spellings, w.where, w.limit)
            for name, w in wanted.items()
        }
    anywhere = {name: index_match(w.searchable, spellings) for name, w in wanted.items()}
    common = _common(wanted, anywhere)
    found: dict[str, list[int]] = {}
    rare = {name: w for name, w in wanted.items() if not common[name]}
    if rare:
        found.update(_ranked(rare, spellings, anywhere))
    passes = {
        name: _newest_first(w, spellings, anywhere[name])
        for name, w in wanted.items()
        if common[name]
    }
    if passes:  # the first pass of every model at once, then each model's next ones if need be
        first = {name: next(steps).limit(wanted[name].limit) for name, steps in passes.items()}
        found.update(_union_of(first))
        for name, steps in passes.items():
            w = wanted[name]
            for stmt in steps:
                if len(found[name]) >= w.limit:
                    break
                stmt = _without(stmt, w.searchable, found[name])
                found[name] += db.session.scalars(stmt.limit(w.limit - len(found[name])))
    return found


def _sqlite_best(searchable: Any, spellings: list[list[str]], where: list, limit: int) -> list[int]:
    """SQLite: the word starts, then the other matches, the newest first. Each pass joins the
    ids the search index finds and orders by them, which FTS5 gives newest first as it reads:
    a common word stops after the few wanted, where ``id IN (…)`` read every match first."""
    ids: list[int] = []
    for found, tests in (
        (_sqlite_word_start_ids(searchable, spellings), _substrings(searchable, spellings)),
        (match_ids(searchable, spellings), []),
    ):
        if found is None:
            continue
        matches = found.subquery()
        stmt = (
            _without(select(searchable.id), searchable, ids)
            .join(matches, matches.c.id == searchable.id)
            .where(*tests, *where)
            .order_by(matches.c.id.desc())
        )
        ids += db.session.scalars(stmt.limit(limit - len(ids)))
        if len(ids) >= limit:
            break
    return ids


def _common(wanted: dict[str, Wanted], anywhere: dict[str, ColumnElement[bool]]) -> dict[str, bool]:
    """PostgreSQL: for each model, whether ``MANY`` rows or more match (counting stops there),
    all in one statement."""
    counts = [
        select(func.count())
        .select_from(select(literal_column("1")).where(anywhere[name]).limit(MANY).subquery())
        .scalar_subquery()
        .label(name)
        for name in wanted
    ]
    row = db.session.execute(select(*counts)).one()
    return {name: (row._mapping[name] or 0) >= MANY for name in wanted}


def _ranked(
    wanted: dict[str, Wanted],
    spellings: list[list[str]],
    anywhere: dict[str, ColumnElement[bool]],
) -> dict[str, list[int]]:
    """PostgreSQL, for models with few matches: every model's best ids in one statement, each
    branch reading its matches from the search index and keeping the word starts first, then
    the newest. ``id + 0``: PostgreSQL would otherwise walk the primary key in order, testing
    every row, when it expects many matches (for a rare word, the whole table)."""
    branches = []
    for name, w in wanted.items():
        model = w.searchable
        starts = word_starts(model, spellings, walk=True)  # tested only on the few matches
        best = (
            select(literal(name).label("kind"), model.id.label("id"), starts.label("starts"))
            .where(anywhere[name], *w.where)
            .order_by(*_by_starts(starts), (model.id + 0).desc())
            .limit(w.limit)
        )
        branches.append(select(best.subquery()))
    rows = db.session.execute(union_all(*branches)).all()
    found: dict[str, list[int]] = {name: [] for name in wanted}
    for kind, row_id, _starts in sorted(rows, key=lambda r: (not r.starts, -r.id)):
        found[kind].append(row_id)
    return found


def _by_starts(starts: ColumnElement[bool]) -> list:
    """The word starts first; nothing to order by when no word can start one (PostgreSQL
    refuses a constant in ``ORDER BY``)."""
    return [] if isinstance(starts, False_) else [starts.desc()]


def _newest_first(
    w: Wanted, spellings: list[list[str]], anywhere: ColumnElement[bool]
) -> Iterator[Select[Any]]:
    """PostgreSQL, for a common word: reading every match from the index to keep the newest
    few reads most of the table, where the newest rows, tested one by one from the primary
    key, hold the few after a few hundred. So each pass (word starts, then any match) walks the
    newest ``WINDOW`` rows first; the index gives the rest, if any, older than the rows
    walked. The statements of the passes in turn, each newest first, to be limited to the
    rows still wanted and to leave out those already taken."""
    model = w.searchable
    bound = func.coalesce(
        select(model.id).order_by(model.id.desc()).offset(WINDOW - 1).limit(1).scalar_subquery(),
        0,
    )
    substrings = _substrings(model, spellings)
    starts = word_starts(model, spellings, walk=True)
    for found, walked, tests in (
        (word_starts(model, spellings), and_(*substrings, starts), substrings),
        (anywhere, index_match(model, spellings, walk=True), []),
    ):
        yield select(model.id).where(walked, *w.where, model.id >= bound).order_by(model.id.desc())
        yield (
            select(model.id)
            .where(found, *tests, *w.where, model.id < bound)
            .order_by((model.id + 0).desc())
        )


def _substrings(searchable: Any, spellings: list[list[str]]) -> list[ColumnElement[bool]]:
    """The long words of a spelling are in the key: what every match must pass, word starts
    included (a word start of «tehran,» is «tehran», which the key may hold without the
    comma), so that the word starts are always among the matches, on either database and in
    either plan. Cheap, row by row: walking the newest rows on PostgreSQL, it spares the
    ``to_tsvector`` of keys without the word (a word common inside others, «بارس» in
    «پارس‌آباد», but rare at a start would otherwise parse thousands). No test when a spelling
    has only short words (their word index test is the same for both)."""
    kinds = _all_kinds(spellings)
    if isinstance(kinds, bool) or not all(long for long, _short_words in kinds):
        return []
    position = func.strpos if db.engine.dialect.name == "postgresql" else func.instr
    return [
        or_(*(and_(*(position(searchable.search_key, w) > 0 for w in long)) for long, _ in kinds))
    ]


def _union_of(first: dict[str, Select[Any]]) -> dict[str, list[int]]:
    """The ids each model's statement of ``first`` gives (each limited, newest first), from
    one statement."""
    branches = [
        select(literal(name).label("kind"), stmt.subquery()) for name, stmt in first.items()
    ]
    found: dict[str, list[int]] = {name: [] for name in first}
    for kind, row_id in sorted(db.session.execute(union_all(*branches)), key=lambda r: -r[1]):
        found[kind].append(row_id)
    return found


def _without(stmt: Select[Any], searchable: Any, taken: list[int]) -> Select[Any]:
    return stmt.where(searchable.id.not_in(taken)) if taken else stmt
