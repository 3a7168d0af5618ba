"""Large imports run in a worker: the commit in the background, its progress, all or nothing
there too; and the whole path through the real Redis and a ``flask crm worker`` process."""

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.extensions import db
from crm.files.services import MAX_ATTEMPTS, STUCK_AFTER
from crm.formatting import Formatter
from crm.imports import services, tasks
from crm.imports.models import ImportRun
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.partners.models import Partner
from tests.conftest import REDIS_URL, count_queries, need_service, sign_in
from tests.import_files import csv_bytes
from tests.live_services import app_env, remove_queue_keys, start_worker, stop_process, wait_for
from tests.test_imports import HEAD, commit, mapped, partners, run_of, text_of, uploaded

LIVE_WAIT = 90  # seconds: a bound for a stuck test, not a measure


def numbers(count: int) -> list[int]:
    """Numbers without a doubled digit: the matcher folds doubled letters, and digits with
    them, so "Town 11" would meet "Town 1" (see the report on crm.matching)."""
    found = [n for n in range(count * 2) if not re.search(r"(\d)\1", str(n))]
    return found[:count]


def rows(count: int, bad: int | None = None) -> bytes:
    found = [HEAD]
    for n in numbers(count):
        country = "Atlantis" if n == bad else "TR"
        found.append([f"Town {n}", f"شهر {n}", country, "", "1399/01/0" + str(1 + n % 9)])
    return csv_bytes(found)


@pytest.fixture
def small_limit(monkeypatch):
    """Imports of more than three rows go to the worker."""
    monkeypatch.setattr(services, "IN_REQUEST", 3)


@pytest.fixture
def queue(app, redis_url):
    """A queue of the test's own on the real Redis, and ``work()``: an RQ worker in this
    process that runs what is waiting, then stops. Only the test's keys are removed."""
    from rq import SimpleWorker

    from crm import jobs

    name = f"crm-test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=redis_url, CRM_QUEUE=name)

    def work() -> None:
        with app.app_context():
            waiting = jobs.queue()
            SimpleWorker([waiting], connection=waiting.connection).work(burst=True)

    yield SimpleNamespace(name=name, work=work)
    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(f"{name}:import-progress:*"):
        connection.delete(key)
    assert remove_queue_keys(connection, name) == []
    found = app.extensions.pop("crm_redis", None)
    if found is not None:
        found.close()


def previewed(client, queue, import_id: int, **mapping) -> None:
    """Map the columns of a large file and let the worker make its dry run."""
    response = mapped(client, import_id, **mapping)
    assert response.headers["Location"].endswith(f"/imports/{import_id}")
    queue.work()


def committed(client, queue, import_id: int, **choices) -> None:
    response = commit(client, import_id, **choices)
    assert response.headers["Location"].endswith(f"/imports/{import_id}"), text_of(response)
    queue.work()


def act_of(app, act_id):
    from crm.audit import AuditAct

    with app.app_context():
        act = db.session.get_one(AuditAct, act_id)
        db.session.expunge(act)
        return act


@pytest.mark.redis
def test_the_dry_run_of_a_large_file_runs_in_the_worker_in_its_owners_language(
    app, auth, client, small_limit, queue
):
    auth.login("staff", locale="fa")
    import_id = uploaded(client, rows(6, bad=2))
    response = mapped(client, import_id)
    assert response.headers["Location"].endswith(f"/imports/{import_id}")
    run = run_of(app, import_id)
    assert (run.status, run.job, run.preview) == ("queued", "preview", None)
    page = text_of(client.get(f"/imports/{import_id}"))
    assert 'role="progressbar"' in page and 'http-equiv="refresh"' in page
    # no preview until the worker made it: the page sends the reader to the progress
    response = client.get(f"/imports/{import_id}/preview")
    assert response.headers["Location"].endswith(f"/imports/{import_id}")
    queue.work()
    run = run_of(app, import_id)
    assert (run.status, run.progress, run.error) == ("mapping", 100, "")
    assert partners(app) == []  # the dry run wrote nothing
    status = client.get(f"/imports/{import_id}/status").get_json()
    assert (status["status"], status["done"], status["percent"]) == ("ready", True, 100)
    assert status["percent_text"] == "۱۰۰٪"
    page = text_of(client.get(f"/imports/{import_id}/preview"))
    # the bad row's message in the owner's language, its row number in Persian digits
    assert 'id="row-4" class="table-danger"' in page
    assert "کشور ناشناخته" in run.preview["rows"][2]["errors"]["country"]
    assert run.preview["rows"][2]["errors"]["country"] in page
    assert run.preview["counts"] == {"create": 5, "update": 0, "skip": 0, "error": 1}
    assert "۱۳۹۹" in page or "1399" not in page  # dates shown as the reader reads them


@pytest.mark.redis
def test_a_large_import_is_committed_by_the_worker_as_its_owner(
    app, auth, client, small_limit, queue
):
    user = auth.login("staff")
    import_id = uploaded(client, rows(6))
    previewed(client, queue, import_id)
    assert "Town 0" in text_of(client.get(f"/imports/{import_id}/preview"))
    response = commit(client, import_id)
    assert response.headers["Location"].endswith(f"/imports/{import_id}")
    run = run_of(app, import_id)
    assert (run.status, run.job) == ("queued", "commit") and partners(app) == []
    page = text_of(client.get(f"/imports/{import_id}"))
    assert 'http-equiv="refresh"' in page and 'role="progressbar"' in page
    queue.work()
    with app.app_context():
        assert tasks.import_job(import_id) == "not claimed"  # once only
    run = run_of(app, import_id)
    assert (run.status, run.counts["created"], run.preview) == ("done", 6, None)
    act = act_of(app, run.act_id)
    assert (act.kind, act.user_id, act.via) == ("import", user.id, "job")
    status = client.get(f"/imports/{import_id}/status").get_json()
    assert (status["status"], status["done"], status["percent"]) == ("ready", True, 100)


def test_a_job_whose_row_breaks_a_rule_writes_nothing_and_says_why(
    app, auth, client, small_limit, monkeypatch
):
    from crm.exceptions import RuleBroken

    monkeypatch.setattr(tasks, "start", lambda run: True)
    auth.login("staff")
    import_id = uploaded(client, rows(5))
    mapped(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"  # the dry run
    commit(client, import_id)
    real = services.save_partner

    def failing(partner, data, flush=True):
        if data.name_en == "Town 4":
            raise RuleBroken("Refused.", "name_en")
        return real(partner, data, flush)

    monkeypatch.setattr(services, "save_partner", failing)
    with app.app_context():
        assert tasks.import_job(import_id) == "failed"
    run = run_of(app, import_id)
    assert (run.status, run.error) == ("failed", "Row 6: Refused.")
    assert partners(app) == []
    page = text_of(client.get(f"/imports/{import_id}"))
    assert "Row 6: Refused." in page
    [told] = notifications_of(app)
    assert told.subject == "Your import of partners.csv failed; nothing was imported."
    assert (told.record_kind, told.record_id) == ("import", import_id)


def test_a_large_file_with_bad_rows_is_not_queued(app, auth, client, small_limit, monkeypatch):
    started = []
    monkeypatch.setattr(tasks, "start", lambda run: started.append(run.job) or True)
    auth.login("staff")
    import_id = uploaded(client, rows(5, bad=2))
    mapped(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    response = commit(client, import_id)
    assert response.status_code == 400 and "1 row has errors" in text_of(response)
    assert run_of(app, import_id).status == "mapping" and started == ["preview"]


@pytest.mark.redis
def test_the_undo_of_a_large_import_runs_in_the_worker_as_its_owner(
    app, auth, client, small_limit, queue
):
    user = auth.login("staff")
    import_id = uploaded(client, rows(6))
    previewed(client, queue, import_id)
    committed(client, queue, import_id)
    response = client.post(f"/imports/{import_id}/undo")
    assert response.headers["Location"].endswith(f"/imports/{import_id}")
    run = run_of(app, import_id)
    assert (run.status, run.job) == ("queued", "undo")
    assert [p.archived for p in partners(app)] == [False] * 6  # nothing undone in the request
    page = text_of(client.get(f"/imports/{import_id}"))
    assert 'role="progressbar"' in page and "Undo this import" not in page
    queue.work()
    run = run_of(app, import_id)
    assert run.status == "undone" and run.error == ""
    assert run.attempt == 1  # its own first try, whatever the dry run and commit took
    assert [p.archived for p in partners(app)] == [True] * 6
    act = act_of(app, run.undo_act_id)
    assert (act.kind, act.user_id, act.via) == ("import_undo", user.id, "job")
    status = client.get(f"/imports/{import_id}/status").get_json()
    assert (status["status"], status["status_text"]) == ("ready", "Undone")


def test_a_failed_undo_changes_nothing_and_says_so_in_the_owners_language(
    app, auth, client, small_limit, monkeypatch
):
    monkeypatch.setattr(tasks, "start", lambda run: True)
    auth.login("staff", locale="fa")
    import_id = uploaded(client, rows(5))
    mapped(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    commit(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    client.post(f"/imports/{import_id}/undo")
    real, calls = services.records.archive, []

    def failing(record, flush=True):
        calls.append(record.id)
        if len(calls) == 3:
            raise OSError("disk gone")
        return real(record, flush)

    monkeypatch.setattr(services.records, "archive", failing)
    with app.app_context():
        assert tasks.import_job(import_id) == "failed"
    run = run_of(app, import_id)
    with app.app_context():
        expected = Formatter("fa").translate(tasks.FAILURES["undo"])
    assert (run.status, run.error) == ("done", expected)
    assert not any(p.archived for p in partners(app))
    page = text_of(client.get(f"/imports/{import_id}"))
    assert expected in page and 'id="file-progress"' in page
    monkeypatch.setattr(services.records, "archive", real)  # tried again, it is undone
    client.post(f"/imports/{import_id}/undo")
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    assert run_of(app, import_id).status == "undone"


def notifications_of(app) -> list[Notification]:
    with app.app_context():
        found = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return found


@pytest.mark.redis
def test_the_owner_is_told_in_their_language_when_a_worker_has_committed_or_undone_it(
    app, auth, client, small_limit, queue
):
    owner = auth.login("staff", locale="fa")
    import_id = uploaded(client, rows(6))
    previewed(client, queue, import_id)
    assert notifications_of(app) == []  # a dry run is followed on its page
    committed(client, queue, import_id)
    [done] = notifications_of(app)
    with app.app_context():
        reader = Formatter("fa")
        expected = reader.translate(
            _l(
                "Your import of %(file)s is done: %(created)s new, %(updated)s updated, "
                "%(skipped)s skipped.",
                file="partners.csv",
                created="۶",
                updated="۰",
                skipped="۰",
            )
        )
    assert (done.user_id, done.subject, done.record_kind) == (owner.id, expected, "import")
    page = text_of(client.get("/notifications"))
    assert expected in page and f'href="/imports/{import_id}">partners.csv</a>' in page
    client.post(f"/imports/{import_id}/undo")
    queue.work()
    undone = notifications_of(app)[-1]
    with app.app_context():
        expected = reader.translate(_l("Your import of %(file)s was undone.", file="partners.csv"))
    assert (undone.user_id, undone.subject, undone.record_id) == (owner.id, expected, import_id)
    auth.logout()  # a colleague neither is told nor can follow the link
    auth.login("staff")
    assert client.get(f"/imports/{import_id}").status_code == 404
    assert "partners.csv" not in text_of(client.get("/notifications?show=all"))


def test_a_small_file_is_previewed_committed_and_undone_within_the_request(
    app, auth, client, monkeypatch
):
    monkeypatch.setattr(tasks, "start", lambda run: pytest.fail("queued"))
    auth.login("staff")
    import_id = uploaded(client, rows(6))
    assert mapped(client, import_id).headers["Location"].endswith("/preview")
    assert commit(client, import_id).status_code == 302
    assert run_of(app, import_id).status == "done"
    client.post(f"/imports/{import_id}/undo")
    assert run_of(app, import_id).status == "undone"


# --- the whole path: the real Redis and a worker process ------------------------------------
@pytest.fixture(scope="module")
def worker_process(database_url, tmp_path_factory):
    """One ``flask crm worker`` process with a queue of its own on the real Redis."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        need_service("Redis", f"{REDIS_URL}: {error.__class__.__name__}")
    folder = tmp_path_factory.mktemp("import-worker")
    name = f"crm-test-{uuid.uuid4().hex}"
    env = app_env(folder, DATABASE_URL=database_url, REDIS_URL=REDIS_URL, CRM_QUEUE=name)
    log = folder / "worker.log"
    process = start_worker(env, log)
    yield SimpleNamespace(process=process, log=log, queue=name)
    stop_process(process)
    assert remove_queue_keys(redis.Redis.from_url(REDIS_URL), name) == []


@pytest.fixture
def worker(app, worker_process):
    app.config.update(REDIS_URL=REDIS_URL, CRM_QUEUE=worker_process.queue)
    yield worker_process
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{worker_process.queue}:import-progress:*"):
        connection.delete(key)
    found = app.extensions.pop("crm_redis", None)
    if found is not None:
        found.close()


def output(log) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no output)"


def finished(app, import_id: int) -> bool:
    with app.app_context():
        status = db.session.scalar(select(ImportRun.status).where(ImportRun.id == import_id))
        db.session.rollback()
    return status not in ("queued", "running")


@pytest.mark.redis
def test_a_worker_commits_a_large_import_through_the_real_redis(
    app, worker, auth, client, small_limit
):
    auth.login("staff")
    import_id = uploaded(client, rows(40))
    mapped(client, import_id)
    wait_for(lambda: finished(app, import_id), LIVE_WAIT, f"the preview:\n{output(worker.log)}")
    assert run_of(app, import_id).preview["counts"]["create"] == 40
    response = commit(client, import_id)
    assert response.status_code == 302, text_of(response)[-3000:]
    wait_for(lambda: finished(app, import_id), LIVE_WAIT, f"the import:\n{output(worker.log)}")
    run = run_of(app, import_id)
    assert (run.status, run.counts.get("created")) == ("done", 40), (run.error, output(worker.log))
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Partner.id))) == 40
    assert client.get(f"/imports/{import_id}/status").get_json()["percent"] == 100


@pytest.mark.redis
@pytest.mark.browser
def test_in_a_browser_a_large_import_shows_its_progress_until_done(
    app, worker, live_server, page, make_user, small_limit, tmp_path
):
    path = tmp_path / "towns.csv"
    path.write_bytes(rows(30))
    sign_in(page, live_server, make_user("staff", locale="en").email)
    page.goto(f"{live_server}/imports")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="Upload and map the columns").click()
    page.wait_for_url(re.compile(r".*/imports/\d+/map$"))
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_url(re.compile(r".*/imports/\d+$"))  # the worker checks every row
    checked = page.get_by_role("link", name="See the preview")
    checked.wait_for(state="visible", timeout=LIVE_WAIT * 1000)
    checked.click()
    page.wait_for_url(re.compile(r".*/imports/\d+/preview$"))
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    done = page.get_by_role("link", name="See what was imported")
    done.wait_for(state="visible", timeout=LIVE_WAIT * 1000)
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    done.click()
    assert "30 new, 0 updated, 0 skipped." in page.locator("#import-result").inner_text()


# --- what a dead worker left ------------------------------------------------------------------
def left_behind(app, import_id: int, status: str, attempt: int) -> None:
    """Leave the import as a worker that died (or a Redis that lost the job) would have."""
    with app.app_context():
        run = db.session.get_one(ImportRun, import_id)
        run.status, run.attempt = status, attempt
        run.touched_at = utcnow() - STUCK_AFTER - timedelta(minutes=1)
        db.session.commit()


@pytest.mark.redis
def test_an_import_a_dead_worker_left_is_queued_again_and_then_done(
    app, auth, client, small_limit, queue, monkeypatch
):
    auth.login("staff")
    started = []
    real_start = tasks.start
    monkeypatch.setattr(tasks, "start", lambda run: started.append(run.id) or True)
    running, waiting, alive = (uploaded(client, rows(5)) for _n in range(3))
    for import_id in (running, waiting, alive):
        mapped(client, import_id)  # queued for their dry run, never given to a worker
    left_behind(app, running, "running", 1)
    left_behind(app, waiting, "queued", 0)
    monkeypatch.setattr(tasks, "start", real_start)
    with app.app_context():
        assert tasks.tidy_job() == {"again": 2, "given_up": 0}
    assert [run_of(app, i).status for i in (running, waiting, alive)] == [
        "queued",
        "queued",
        "queued",  # a minute old: nobody is late yet
    ]
    queue.work()
    assert [run_of(app, i).status for i in (running, waiting)] == ["mapping", "mapping"]
    assert run_of(app, running).attempt == 2 and run_of(app, running).preview["counts"]["create"]


def test_an_import_tried_three_times_is_given_up_and_its_owner_told_in_their_language(
    app, auth, client, small_limit, monkeypatch
):
    monkeypatch.setattr(tasks, "start", lambda run: True)
    owner = auth.login("staff", locale="fa")
    import_id = uploaded(client, rows(5))
    mapped(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    commit(client, import_id)
    left_behind(app, import_id, "running", MAX_ATTEMPTS)
    with app.app_context():
        assert tasks.tidy_job() == {"again": 0, "given_up": 1}
        reader = Formatter("fa")
        expected = reader.translate(tasks.GAVE_UP["commit"])
        told = reader.translate(
            _l("Your import of %(file)s failed; nothing was imported.", file="partners.csv")
        )
    run = run_of(app, import_id)
    assert (run.status, run.error) == ("failed", expected) and partners(app) == []
    [notification] = notifications_of(app)
    assert (notification.user_id, notification.subject) == (owner.id, told)
    assert expected in text_of(client.get(f"/imports/{import_id}"))


def test_an_undo_a_dead_worker_left_is_given_up_leaving_the_import_done(
    app, auth, client, small_limit, monkeypatch
):
    monkeypatch.setattr(tasks, "start", lambda run: True)
    auth.login("staff")
    import_id = uploaded(client, rows(5))
    mapped(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    commit(client, import_id)
    with app.app_context():
        assert tasks.import_job(import_id) == "done"
    client.post(f"/imports/{import_id}/undo")
    left_behind(app, import_id, "running", MAX_ATTEMPTS)
    with app.app_context():
        assert tasks.tidy_job() == {"again": 0, "given_up": 1}
    run = run_of(app, import_id)
    assert (run.status, run.error) == (
        "done",
        "The undo stopped after several tries; nothing was changed.",
    )
    assert not any(p.archived for p in partners(app))
    assert "Undo this import" in text_of(client.get(f"/imports/{import_id}"))  # to try again


def test_the_schedule_tidies_the_imports_as_often_as_the_prepared_files():
    import fakeredis
    from rq.cron import CronScheduler

    from crm import jobs

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("crm.jobs.schedule")
    found = {job.func: job.interval for job in scheduler.get_jobs()}
    assert found[tasks.tidy_job] == jobs.TIDY_EVERY


# --- the rate ----------------------------------------------------------------------------------
def test_a_commit_and_its_undo_query_and_write_in_batches_not_row_by_row(app, auth, client):
    """Each row is saved through the rules, but the reads and writes go out in batches: no
    query per row, and (where the database takes many rows per statement, as PostgreSQL
    does) a few statements for a hundred partners, their audit entries and their undo."""
    auth.login("staff")
    import_id = uploaded(client, rows(120))
    mapped(client, import_id)
    with count_queries(app) as statements:
        assert commit(client, import_id).status_code == 302
    assert len(partners(app)) == 120 and run_of(app, import_id).counts["created"] == 120
    with app.app_context():
        many = db.engine.dialect.use_insertmanyvalues and db.engine.dialect.name != "sqlite"
        from crm.audit import AuditEntry

        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.act_id == run_of(app, import_id).act_id)
        ).all()
        assert len(entries) == 120 and {e.action for e in entries} == {"create"}
    assert len([s for s in statements if "cooperation_areas" in s]) < 5
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) < 20 if many else len(writes) <= 2 * 120 + 10
    with count_queries(app) as statements:
        client.post(f"/imports/{import_id}/undo")
    assert all(p.archived for p in partners(app))
    assert len([s for s in statements if "FROM partners" in s]) < 10
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) < 20 if many else len(writes) <= 2 * 120 + 10
