"""A forgotten password: a link by e-mail (the same answer for an address of no account), that
works once and within an hour, lets the user choose a password under the usual rules, signs out
every other browser and forgets the login slow-down; ``reset-password --link`` prints one."""

import json
import re
import time
import uuid

import pytest
from itsdangerous import TimestampSigner

from crm import jobs
from crm.auth import sessions, throttle
from crm.auth.models import User, UserSession
from crm.auth.recovery import make_token
from crm.auth.services import authenticate
from crm.extensions import db
from tests.conftest import PASSWORD
from tests.test_logs import lines  # noqa: F401 - a fixture
from tests.test_reminders import outbox

NEW_PASSWORD = "violet-tram-harbour-91"
SAME_ANSWER = "If an active account has this address, a message with a link"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/password/reset/[A-Za-z0-9._-]+)")


@pytest.fixture
def queue_name(app):
    app.config["CRM_QUEUE"] = f"crm-test-{uuid.uuid4().hex}"
    return app.config["CRM_QUEUE"]


def ask(client, email, address="192.0.2.1"):
    return client.post(
        "/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def run_jobs(app) -> None:
    """Work the jobs the requests queued, as a worker would."""
    with app.app_context():
        queue = jobs.queue()
        if queue.jobs:
            worker = jobs.ThreadWorker([queue], connection=jobs.connection())
            assert worker.work(burst=True)


def link_in(message) -> str:
    [path] = set(LINK.findall(message.get_body(("plain",)).get_content()))
    return path


def choose(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(path, data={"new": password, "confirm": confirm or password})


def test_the_sign_in_page_links_to_the_forgotten_password_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page and "Forgot your password?" in page
    form = client.get("/password/forgot")
    assert form.status_code == 200 and 'name="email"' in form.get_data(as_text=True)


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_one_a_message(
    app, client, make_user, queue_name
):
    user = make_user("staff", email="sara@example.org", locale="en")
    known = ask(client, "SARA@example.org")
    unknown = ask(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert SAME_ANSWER in client.get("/login").get_data(as_text=True)
    run_jobs(app)
    [message] = outbox(app)
    assert message["To"] == user.email
    assert message["Subject"] == "Set a new password for the City Diplomacy CRM"
    assert link_in(message).startswith("/password/reset/")


def test_the_link_opens_in_the_language_of_its_reader_and_so_does_the_sign_in_after_it(
    app, client, make_user, queue_name
):
    user = make_user("staff", email="maryam@example.org", locale="fa")
    ask(client, user.email)
    run_jobs(app)
    path = link_in(outbox(app)[0])
    page = client.get(f"{path}?lang=fa", headers={"Accept-Language": "en"})
    assert f"{path}?lang=fa" in outbox(app)[0].get_body(("plain",)).get_content()
    assert 'lang="fa"' in page.get_data(as_text=True)
    done = choose(client, path)
    signin = client.get(done.headers["Location"], headers={"Accept-Language": "en"})
    assert 'dir="rtl"' in signin.get_data(as_text=True)


def test_the_link_sets_a_new_password_once_and_signs_out_everywhere(
    app, client, make_user, queue_name
):
    user = make_user("staff", email="reza@example.org")
    with app.test_request_context():
        sessions.start(db.session.get(User, user.id))  # a browser signed in elsewhere
        db.session.commit()
        for _ in range(8):
            throttle.failed(user.email)
    ask(client, user.email)
    run_jobs(app)
    path = link_in(outbox(app)[0])
    page = client.get(path)
    assert page.status_code == 200 and "reza@example.org" in page.get_data(as_text=True)
    done = choose(client, path)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    with app.test_request_context():
        assert authenticate(user.email, NEW_PASSWORD) is not None
        assert authenticate(user.email, PASSWORD) is None
        assert not db.session.scalar(db.select(db.func.count()).select_from(UserSession))
        assert throttle.wait_before_attempt(user.email) == 0  # the slow-down is forgotten
    again = client.get(path)  # used once: dead
    assert again.status_code == 404
    assert "This link no longer works" in again.get_data(as_text=True)
    assert choose(client, path, "another-brisk-lantern-7").status_code == 404
    with app.test_request_context():
        assert authenticate(user.email, NEW_PASSWORD) is not None


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(app, client, make_user):
    user = make_user("staff", email="mina@example.org", display_name="Mina Karimi")
    with app.test_request_context():
        path = f"/password/reset/{make_token(db.session.get(User, user.id))}"
    weak = choose(client, path, "short")
    assert weak.status_code == 200
    assert "Use at least 10 characters." in weak.get_data(as_text=True)
    own = choose(client, path, "minakarimi2024")
    assert "Do not build the password on your own name or email address." in own.get_data(
        as_text=True
    )
    differ = choose(client, path, NEW_PASSWORD, "violet-tram-harbour-92")
    assert "The two passwords differ." in differ.get_data(as_text=True)
    assert choose(client, path).status_code == 302


def test_a_link_older_than_an_hour_or_made_before_a_password_change_does_not_work(
    app, client, make_user, monkeypatch
):
    user = make_user("staff")
    with app.test_request_context():
        account = db.session.get(User, user.id)
        fresh = make_token(account)
        with monkeypatch.context() as past:
            past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
            old = make_token(account)
    assert client.get(f"/password/reset/{old}").status_code == 404
    assert client.get(f"/password/reset/{fresh}").status_code == 200
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post(
        "/settings/password",
        data={"pw-current": PASSWORD, "pw-new": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    client.post("/logout")
    assert client.get(f"/password/reset/{fresh}").status_code == 404
    assert client.get("/password/reset/not-a-token").status_code == 404
    assert choose(client, f"/password/reset/{fresh[:-2]}xx").status_code == 404


def test_a_deactivated_account_gets_no_message_and_its_links_do_not_work(
    app, client, make_user, queue_name
):
    user = make_user("staff", active=False)
    with app.test_request_context():
        token = make_token(db.session.get(User, user.id))
    assert ask(client, user.email).headers["Location"] == "/login"
    run_jobs(app)
    assert outbox(app) == []
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_asking_is_limited_by_address_and_an_account_gets_at_most_three_messages(
    app, client, make_user, queue_name
):
    user = make_user("staff")
    for n in range(5):  # the login's limit: 5 per 15 minutes per address
        assert ask(client, user.email, f"203.0.113.{n + 10}").status_code == 302
    run_jobs(app)
    assert len(outbox(app)) == 3  # two more addresses asked: the account's mailbox is spared
    for _ in range(5):
        assert ask(client, "nobody@example.org", "198.51.100.5").status_code == 302
    assert ask(client, "nobody@example.org", "198.51.100.5").status_code == 429


def test_a_persian_readers_message_is_in_persian_and_right_to_left(
    app, client, make_user, queue_name
):
    make_user("staff", email="fa@example.org", locale="fa")
    ask(client, "fa@example.org")
    run_jobs(app)
    [message] = outbox(app)
    assert message["Content-Language"] == "fa"
    html = message.get_body(("html",)).get_content()
    assert 'lang="fa" dir="rtl"' in html


def test_the_security_log_tells_of_resets_without_address_or_token(
    app,
    client,
    make_user,
    queue_name,
    lines,  # noqa: F811
):
    user = make_user("staff", email="hidden@example.org")
    ask(client, user.email)
    run_jobs(app)
    path = link_in(outbox(app)[0])
    choose(client, path)
    client.get(path)
    written = json.dumps(lines(), ensure_ascii=False)
    events = [(line["event"], line.get("user_id")) for line in lines() if "event" in line]
    assert events == [
        ("password_reset_asked", user.id),
        ("password_reset", user.id),
        ("password_reset_refused", None),
    ]
    token = path.rsplit("/", 1)[1]
    assert "hidden@example.org" not in written and token not in written
    assert token[:4] + "…" in written  # the request lines keep its first four characters


def test_reset_password_link_prints_a_one_time_link(app, client, runner, make_user):
    user = make_user("staff", email="omid@example.org")
    result = runner.invoke(args=["crm", "reset-password", "omid@example.org", "--link"])
    assert result.exit_code == 0, result.output
    [path] = LINK.findall(result.output)
    assert choose(client, path).status_code == 302
    assert client.get(path).status_code == 404
    with app.test_request_context():
        assert authenticate(user.email, NEW_PASSWORD) is not None
    both = ["crm", "reset-password", user.email, "--link", "--password-stdin"]
    assert runner.invoke(args=both).exit_code == 2
