"""Prepared files (briefing packs, the pipeline report): asking for one, its run's progress and
result, the tidy-up, the pages a user watches and downloads from, and the whole path through
the real Redis and a ``flask crm worker`` process (``tests/live_services.py``), in a browser too.
"""

import io
import re
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pypdf
import pytest
import redis
from sqlalchemy import select

from crm import jobs
from crm.exceptions import Forbidden, RuleBroken
from crm.extensions import db
from crm.files import services, tasks
from crm.files.models import PreparedFile
from crm.models import utcnow
from crm.notifications.models import Notification
from tests.conftest import REDIS_URL, need_service, sign_in
from tests.live_services import app_env, remove_queue_keys, start_worker, stop_process, wait_for

PDF = b"%PDF-1.4\n% a prepared file\n"


# --- helpers --------------------------------------------------------------------------------
def load(app, file_id: int) -> PreparedFile:
    with app.app_context():
        found = db.session.get_one(PreparedFile, file_id)
        db.session.expunge(found)
        return found


def asked(app, user, *partners, language=None) -> int:
    """The id of a briefing pack of ``partners`` that ``user`` asked for (committed)."""
    with app.app_context():
        prepared = services.request_pack(user, [p.id for p in partners], language)
        db.session.commit()
        return prepared.id


def ready(app, file_id: int, data: bytes = PDF, now=None) -> None:
    """Run the file to the end by hand: claimed, written, marked ready."""
    with app.app_context():
        attempt = services.claim(file_id)
        stored = services.write_file(file_id, attempt, data)
        now = now or utcnow()
        assert services.finish(file_id, attempt, stored, "briefing-pack.pdf", len(data), now)
        db.session.commit()


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- services -------------------------------------------------------------------------------
def test_a_pack_is_asked_for_in_the_users_language_with_each_partner_once(
    app, make_user, make_partner
):
    user = make_user("viewer", locale="fa")
    first, second = make_partner(name_en="Istanbul"), make_partner(name_en="Kazan")
    with app.app_context():
        prepared = services.request_pack(user, [second.id, first.id, second.id], None)
        db.session.commit()
        assert (prepared.kind, prepared.status, prepared.progress, prepared.owner_id) == (
            "pack",
            "queued",
            0,
            user.id,
        )
        assert prepared.parameters == {"partner_ids": [second.id, first.id], "language": "fa"}


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Choose at least one partner."),
        (list(range(1, services.MAX_PARTNERS + 2)), "at most 50 partners; you chose 51"),
        ([987654], "Choose partners from the list."),
    ],
)
def test_a_pack_of_no_partners_too_many_or_unknown_ones_is_refused(app, make_user, ids, message):
    user = make_user("staff")
    with app.test_request_context(), pytest.raises(RuleBroken) as raised:
        services.request_pack(user, ids, "en")
    assert message in str(raised.value.errors["partner_ids"])
    with app.app_context():
        assert db.session.scalar(select(PreparedFile)) is None


def test_a_language_we_do_not_speak_is_refused(app, make_user, make_partner):
    user, partner = make_user("staff"), make_partner()
    with app.test_request_context(), pytest.raises(RuleBroken) as raised:
        services.request_pack(user, [partner.id], "de")
    assert raised.value.field == "language"


def test_only_managers_ask_for_the_pipeline_report(app, make_user):
    with app.test_request_context():
        with pytest.raises(Forbidden):
            services.request_pipeline(make_user("staff"), "en")
        prepared = services.request_pipeline(make_user("manager", locale="fa"), None)
        assert (prepared.kind, prepared.parameters) == ("pipeline", {"language": "fa"})


def test_a_user_has_at_most_five_files_waiting(app, make_user, make_partner):
    user, partner = make_user("staff"), make_partner()
    for _n in range(services.MAX_WAITING):
        asked(app, user, partner)
    with app.test_request_context(), pytest.raises(RuleBroken, match="5 files being prepared"):
        services.request_pack(user, [partner.id], "en")


def test_a_run_claims_once_and_writes_progress_only_while_the_file_is_its_own(
    app, make_user, make_partner
):
    file_id = asked(app, make_user(), make_partner())
    with app.app_context():
        first = services.claim(file_id)
        assert first == 1 and services.claim(file_id) is None
        assert services.record_progress(file_id, first, 40, "Istanbul")
    assert (load(app, file_id).progress, load(app, file_id).step) == (40, "Istanbul")
    with app.app_context():  # the tidy-up gave it to a second run: the first one is ignored
        db.session.get_one(PreparedFile, file_id).status = "queued"
        db.session.commit()
        second = services.claim(file_id)
        assert second == 2
        assert not services.record_progress(file_id, first, 90, "late")
        assert not services.finish(file_id, first, "x.pdf", "x.pdf", 1, utcnow())
    assert (load(app, file_id).progress, load(app, file_id).attempt) == (0, 2)


def test_progress_is_written_on_each_new_percentage_and_otherwise_every_half_second(
    app, make_user, make_partner, monkeypatch
):
    written = []
    monkeypatch.setattr(services, "record_progress", lambda *args: written.append(args[2:]))
    now = [100.0]
    progress = tasks.Progress(7, 1, clock=lambda: now[0])
    progress(10, "Istanbul")
    progress(10, "Istanbul")  # nothing new
    progress(10, "Kazan")  # a new step within half a second: kept for later
    now[0] += 0.6
    progress(10, "Kazan")  # half a second on: written
    progress(11, "Kazan")  # a new percentage: written at once
    progress(250, "Done")  # clamped
    assert written == [(10, "Istanbul"), (10, "Kazan"), (11, "Kazan"), (100, "Done")]


def test_a_finished_file_is_stored_whole_and_kept_for_the_configured_hours(
    app, make_user, make_partner
):
    app.config["CRM_FILES_KEEP_HOURS"] = 6
    file_id = asked(app, make_user(), make_partner())
    now = utcnow()
    ready(app, file_id, now=now)
    prepared = load(app, file_id)
    assert (prepared.status, prepared.progress, prepared.size) == ("ready", 100, len(PDF))
    assert prepared.expires_at == now + timedelta(hours=6)
    folder = Path(app.config["CRM_FILES_FOLDER"])
    assert folder == Path(app.config["CRM_INSTANCE_PATH"]) / "prepared"
    assert (folder / prepared.stored_name).read_bytes() == PDF
    assert list(folder.glob("*.part")) == []


def test_the_tidy_up_removes_files_past_their_keep_time(app, make_user, make_partner):
    user, partner = make_user(), make_partner()
    old, fresh = asked(app, user, partner), asked(app, user, partner)
    ready(app, old, now=utcnow() - timedelta(hours=25))
    ready(app, fresh)
    gone = Path(app.config["CRM_FILES_FOLDER"]) / load(app, old).stored_name
    with app.app_context():
        result = services.tidy()
        db.session.commit()
    assert (result.expired, result.again, result.given_up) == (1, [], 0)
    assert (load(app, old).status, load(app, old).stored_name) == ("expired", "")
    assert not gone.exists()
    assert load(app, fresh).status == "ready"


def test_the_tidy_up_queues_again_what_a_dead_worker_left_and_gives_up_after_three_runs(
    app, make_user, make_partner
):
    user, partner = make_user(), make_partner()
    running, waiting, hopeless, alive = (asked(app, user, partner) for _n in range(4))
    long_ago = utcnow() - services.STUCK_AFTER - timedelta(minutes=1)
    with app.app_context():
        for file_id in (running, hopeless, alive):
            services.claim(file_id)
        rows = {r.id: r for r in db.session.scalars(select(PreparedFile))}
        rows[hopeless].attempt = services.MAX_ATTEMPTS
        for file_id in (running, waiting, hopeless):
            rows[file_id].touched_at = long_ago
        db.session.commit()
        result = services.tidy()
        db.session.commit()
    assert sorted(result.again) == sorted([running, waiting]) and result.given_up == 1
    assert [load(app, i).status for i in (running, waiting, hopeless, alive)] == [
        "queued",
        "queued",
        "failed",
        "running",
    ]
    assert load(app, hopeless).error == "gave_up"
    with app.app_context():  # queued again, it is claimed as a new run
        assert services.claim(running) == 2


def test_the_tidy_up_job_hands_what_it_queued_again_to_the_queue(app, make_user, make_partner):
    app.config["CRM_QUEUE"] = f"crm-test-{uuid.uuid4().hex}"  # the embedded queue, our own
    file_id = asked(app, make_user(), make_partner())
    with app.app_context():
        db.session.get_one(PreparedFile, file_id).touched_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        assert tasks.tidy_job() == {"expired": 0, "again": 1, "given_up": 0}
        [job] = jobs.queue().get_jobs()
    assert (job.func, job.args) == (tasks.prepare_job, (file_id,))
    assert job.id == f"{app.config['CRM_QUEUE']}-file-{file_id}"


def test_the_pipeline_report_is_built_for_its_manager_with_the_ready_notification(
    app, make_user, make_agreement
):
    make_agreement(title_en="Memorandum on parks", stage="negotiation")
    manager = make_user("manager", locale="en")
    with app.test_request_context():
        file_id = services.request_pipeline(manager, "en").id
        db.session.commit()
    with app.app_context():
        assert tasks.prepare_job(file_id) == "ready"
    prepared = load(app, file_id)
    assert (prepared.status, prepared.progress, prepared.error) == ("ready", 100, "")
    assert re.fullmatch(r"pipeline-report-\d{4}-\d{2}-\d{2}\.pdf", prepared.filename)
    data = (Path(app.config["CRM_FILES_FOLDER"]) / prepared.stored_name).read_bytes()
    assert prepared.size == len(data) and data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "negotiation" in text.casefold()
    [notification] = db_notifications(app, manager)
    assert notification.subject == "Your pipeline report is ready to download."
    assert (notification.record_kind, notification.record_id) == ("file", file_id)


def test_the_schedule_tidies_the_prepared_files_every_five_minutes():
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("crm.jobs.schedule")
    found = {job.func: job.interval for job in scheduler.get_jobs()}
    assert found[tasks.tidy_job] == jobs.TIDY_EVERY == 300


def test_a_failing_build_tells_the_user_without_a_traceback_and_logs_why(
    app, make_user, make_partner, monkeypatch, caplog
):
    file_id = asked(app, make_user(), make_partner())

    def broken(*args):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(tasks, "build", broken)
    with app.app_context():
        assert tasks.prepare(file_id) == "failed"
        assert tasks.prepare(file_id) == "not claimed"
    prepared = load(app, file_id)
    assert (prepared.status, prepared.error) == ("failed", "build")
    with app.test_request_context():
        message = services.error_message(prepared)
    assert "could not be prepared" in message and "secret" not in message
    assert "ZeroDivisionError" in caplog.text


def test_a_file_of_a_deactivated_user_is_not_built(app, make_user, make_partner):
    user = make_user()
    file_id = asked(app, user, make_partner())
    with app.app_context():
        db.session.get(type(user), user.id).active = False
        db.session.commit()
        assert tasks.prepare(file_id) == "failed"
    assert load(app, file_id).error == "owner"


# --- pages ----------------------------------------------------------------------------------
def test_the_pack_form_offers_the_partner_picker_and_the_users_language(auth, client, make_partner):
    partner = make_partner(name_en="Kazan")
    auth.login("viewer", locale="fa")
    page = text_of(client.get(f"/files/pack?partner_id={partner.id}&partner_id=xyz"))
    assert 'data-lookup="/partners/lookup"' in page and "multiple" in page
    assert f'<option selected value="{partner.id}">' in page or re.search(
        rf'<option[^>]*value="{partner.id}"[^>]*selected', page
    )
    assert re.search(r'<option selected value="fa">|<option[^>]*value="fa"[^>]*selected', page)


def test_the_partner_list_chooses_partners_for_a_pack(auth, client, make_partner):
    partner = make_partner()
    auth.login("viewer")
    page = text_of(client.get("/partners/"))
    assert '<form id="pack-choice" action="/files/pack" method="get">' in page
    assert f'form="pack-choice" name="partner_id" value="{partner.id}"' in page
    assert "Choose Istanbul for a briefing pack" in page


@pytest.mark.parametrize(
    ("locale", "ids", "expected"),
    [
        ("en", [], "Choose at least one partner."),
        ("en", ["987654"], "Choose partners from the list."),
        ("en", ["1x"], "Choose from the list."),
        ("en", [str(i) for i in range(1, 52)], "at most 50 partners; you chose 51"),
        ("fa", [str(i) for i in range(1, 52)], "۵۰"),
        ("fa", [], 'lang="fa"'),
    ],
)
def test_a_wrong_pack_form_is_answered_with_its_error_on_the_field(
    app, auth, client, locale, ids, expected
):
    auth.login("staff", locale=locale)
    response = client.post("/files/pack", data={"partner_ids": ids, "language": locale})
    page = text_of(response)
    assert response.status_code == 400
    assert 'id="partner_ids-error"' in page and expected in page
    if locale == "fa" and ids:
        assert "۵۱" in page  # the count in the reader's digits
    with app.app_context():
        assert db.session.scalar(select(PreparedFile)) is None


def test_asking_for_a_pack_shows_its_page_with_the_progress_bar(app, auth, client, make_partner):
    partner = make_partner(name_en="Kazan")
    user = auth.login("viewer")
    response = client.post("/files/pack", data={"partner_ids": [partner.id], "language": "en"})
    [prepared] = db_files(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/files/{prepared.id}"
    assert (prepared.owner_id, prepared.status) == (user.id, "queued")
    page = text_of(client.get(f"/files/{prepared.id}"))
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page
    assert "Waiting for its turn" in page and "Kazan" in page
    assert f'data-status-url="/files/{prepared.id}/status"' in page
    assert re.search(r'<script src="/static/js/progress\.js\?v=[0-9a-f]+"></script>', page)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "<script>" not in page and "style=" not in page
    assert "data-progress-ready hidden" in page


def test_the_status_speaks_the_readers_language_and_digits(app, auth, client, make_partner):
    user = auth.login("staff", locale="fa")
    file_id = asked(app, user, make_partner())
    with app.app_context():
        attempt = services.claim(file_id)
        services.record_progress(file_id, attempt, 45, "استانبول")
    status = client.get(f"/files/{file_id}/status").get_json()
    assert status["status"] == "running" and status["done"] is False
    assert (status["percent"], status["step"]) == (45, "استانبول")
    assert "۴۵" in status["percent_text"]
    page = text_of(client.get(f"/files/{file_id}"))
    assert 'aria-valuenow="45"' in page and "w-45" in page and "استانبول" in page


def test_a_ready_file_downloads_for_its_owner_and_nobody_else(
    app, auth, client, make_user, make_partner
):
    owner = auth.login("staff")
    file_id = asked(app, owner, make_partner())
    ready(app, file_id)
    status = client.get(f"/files/{file_id}/status").get_json()
    assert (status["done"], status["percent"]) == (True, 100)
    assert status["size_text"] == f"{len(PDF)} bytes"
    response = client.get(f"/files/{file_id}/download")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert "attachment; filename=briefing-pack.pdf" in response.headers["Content-Disposition"]
    response.close()
    listing = text_of(client.get("/files"))
    assert f'href="/files/{file_id}/download"' in listing and "Ready" in listing
    auth.logout()
    auth.login("admin")  # even an administrator: a file is its owner's alone
    for path in ("", "/status", "/download"):
        assert client.get(f"/files/{file_id}{path}").status_code == 404
    assert f"/files/{file_id}" not in text_of(client.get("/files"))


def test_an_expired_file_says_so_in_the_readers_language(app, auth, client, make_partner):
    owner = auth.login("staff")
    file_id = asked(app, owner, make_partner())
    ready(app, file_id, now=utcnow() - timedelta(days=2))
    with app.app_context():
        services.tidy()
        db.session.commit()
    response = client.get(f"/files/{file_id}/download")
    assert response.status_code == 410
    assert "has been removed. Prepare it again" in text_of(response)
    assert "has been removed" in text_of(client.get(f"/files/{file_id}"))


def test_a_file_not_ready_yet_is_not_downloaded(app, auth, client, make_partner):
    file_id = asked(app, auth.login("staff"), make_partner())
    response = client.get(f"/files/{file_id}/download", follow_redirects=True)
    assert "The file is not ready yet." in text_of(response)


def test_staff_cannot_start_the_pipeline_report_and_managers_can(app, auth, client):
    auth.login("staff")
    assert "Prepare the pipeline report" not in text_of(client.get("/files"))
    assert client.post("/files/pipeline", data={"language": "en"}).status_code == 403
    assert db_files(app) == []
    auth.logout()
    auth.login("manager")
    assert "Prepare the pipeline report" in text_of(client.get("/files"))
    response = client.post("/files/pipeline", data={"language": "fa"})
    [prepared] = db_files(app)
    assert response.headers["Location"] == f"/files/{prepared.id}"
    assert (prepared.kind, prepared.parameters) == ("pipeline", {"language": "fa"})
    assert client.post("/files/pipeline", data={"language": "xx"}).status_code == 302
    assert len(db_files(app)) == 1


def test_the_ready_notification_links_to_the_file(app, auth, client, make_partner):
    owner = auth.login("staff")
    file_id = asked(app, owner, make_partner())
    ready(app, file_id)
    with app.app_context():
        db.session.add(
            Notification(
                user_id=owner.id,
                kind="file",
                subject="Ready",
                record_kind="file",
                record_id=file_id,
            )
        )
        db.session.commit()
    page = text_of(client.get("/notifications"))
    assert f'href="/files/{file_id}">briefing-pack.pdf</a>' in page


def db_files(app) -> list[PreparedFile]:
    with app.app_context():
        found = list(db.session.scalars(select(PreparedFile).order_by(PreparedFile.id)))
        db.session.expunge_all()
        return found


# --- the whole path: the real Redis and a worker process ------------------------------------
LIVE_WAIT = 90  # seconds: a bound for a stuck test, not a measure


@pytest.fixture(scope="module")
def worker_process(database_url, tmp_path_factory):
    """One ``flask crm worker`` process for the module's tests (a worker takes seconds to
    start), on the suite's database, with a queue of its own on the real Redis, writing its
    files to a folder of its own. Its keys go afterwards."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        need_service("Redis", f"{REDIS_URL}: {error.__class__.__name__}")
    folder = tmp_path_factory.mktemp("worker")
    name = f"crm-test-{uuid.uuid4().hex}"
    files = str(folder / "prepared")
    settings = {"REDIS_URL": REDIS_URL, "CRM_QUEUE": name, "CRM_FILES_FOLDER": files}
    env = app_env(folder, DATABASE_URL=database_url, **settings)
    log = folder / "worker.log"
    process = start_worker(env, log)
    yield SimpleNamespace(process=process, log=log, queue=name, files=files)
    stop_process(process)
    assert remove_queue_keys(redis.Redis.from_url(REDIS_URL), name) == []


@pytest.fixture
def worker(app, worker_process):
    """The test's app enqueueing to the worker's queue and reading the files it writes."""
    app.config.update(
        REDIS_URL=REDIS_URL, CRM_QUEUE=worker_process.queue, CRM_FILES_FOLDER=worker_process.files
    )
    yield worker_process
    found = app.extensions.pop("crm_redis", None)
    if found is not None:
        found.close()


def output(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no output)"


def watch(app, file_id: int, log: Path) -> list[tuple[str, int, str]]:
    """The file's (status, progress, step) as they change, read every 50 ms until it is done."""
    seen: list[tuple[str, int, str]] = []

    def done() -> bool:
        with app.app_context():
            row = db.session.execute(
                select(PreparedFile.status, PreparedFile.progress, PreparedFile.step).where(
                    PreparedFile.id == file_id
                )
            ).one()
            db.session.rollback()
        state = (row.status, row.progress, row.step)
        if not seen or seen[-1] != state:
            seen.append(state)
        return row.status not in ("queued", "running")

    wait_for(done, LIVE_WAIT, f"the file; worker output:\n{output(log)}", step=0.05)
    return seen


@pytest.mark.redis
def test_a_worker_prepares_a_pack_with_moving_progress_and_notifies_its_owner(
    app, worker, auth, client, make_partner, make_activity
):
    owner = auth.login("staff", locale="fa", timezone="Asia/Tehran")
    partners = [
        make_partner(name_en=f"City {n}", name_fa=f"شهر {n}", country="TR") for n in range(4)
    ]
    for partner in partners:
        make_activity(partner, subject=f"Visit to {partner.name_en}")
    response = client.post(
        "/files/pack", data={"partner_ids": [p.id for p in partners], "language": "en"}
    )
    file_id = int(response.headers["Location"].rsplit("/", 1)[1])
    seen = watch(app, file_id, worker.log)
    assert seen[-1][:2] == ("ready", 100), output(worker.log)
    moving = sorted({progress for status, progress, _step in seen if status == "running"})
    # the bar moved on the way (a poll every 50 ms catches one step at least, on a fast machine)
    assert [p for p in moving if 0 < p < 100], seen
    assert any(step for _status, _p, step in seen), seen  # and said what it was doing

    [notification] = db_notifications(app, owner)
    assert (notification.kind, notification.record_kind, notification.record_id) == (
        "file",
        "file",
        file_id,
    )
    with app.test_request_context():
        from crm.formatting import Formatter

        expected = Formatter("fa", "Asia/Tehran").translate(tasks.READY_SUBJECTS["pack"])
    assert notification.subject == expected  # in the owner's language, not the pack's
    centre = text_of(client.get("/notifications"))
    assert f'href="/files/{file_id}"' in centre

    download = client.get(f"/files/{file_id}/download")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    document = pypdf.PdfReader(io.BytesIO(download.data))
    text = " ".join(page.extract_text() for page in document.pages)
    download.close()
    assert all(f"City {n}" in text for n in range(4))
    assert len(document.pages) >= 1 + len(partners)


def db_notifications(app, user) -> list[Notification]:
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user.id)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return found


@pytest.mark.redis
@pytest.mark.browser
def test_in_a_browser_a_pack_started_from_the_partner_list_reaches_100_and_can_be_downloaded(
    app, worker, live_server, page, make_user, make_partner
):
    kazan = make_partner(name_en="Kazan", name_fa="قازان", country="RU")
    make_partner(name_en="Bursa", name_fa="بورسا")
    lyon = make_partner(name_en="Lyon", name_fa="لیون", country="FR")
    sign_in(page, live_server, make_user("staff", locale="en").email)
    page.goto(f"{live_server}/partners/")
    page.get_by_label("Choose Kazan for a briefing pack").check()
    page.get_by_label("Choose Lyon for a briefing pack").check()
    page.get_by_role("button", name="Briefing pack").click()
    page.wait_for_url(re.compile(r".*/files/pack\?"))
    assert page.locator("#partner_ids option[selected]").all_inner_texts() == ["Kazan", "Lyon"]
    page.get_by_role("button", name="Prepare the pack").click()
    page.wait_for_url(re.compile(r".*/files/\d+$"))
    bar = page.get_by_role("progressbar")
    download = page.get_by_role("link", name=re.compile("Download the PDF"))
    download.wait_for(state="visible", timeout=LIVE_WAIT * 1000)
    assert bar.get_attribute("aria-valuenow") == "100"
    assert bar.inner_text() == "100%"
    assert page.locator("[data-progress-state]").inner_text() == "Ready"
    assert page.locator("h1 [data-progress-badge]").inner_text() == "Ready"
    with page.expect_download() as started:
        download.click()
    assert started.value.suggested_filename.startswith("briefing-pack-")
    assert Path(started.value.path()).read_bytes().startswith(b"%PDF")
    assert {kazan.id, lyon.id} == set(db_files(app)[0].parameters["partner_ids"])
