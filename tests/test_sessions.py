"""Sign-ins kept on the server: logging out, a changed or reset password and a deactivated user
end sessions for good, whatever cookie a browser kept, in every process and after a restart."""

from datetime import timedelta

import sqlalchemy as sa

from crm import create_app
from crm.auth.models import User, UserSession
from crm.config import TestConfig
from crm.extensions import db
from crm.models import utcnow
from tests.conftest import PASSWORD, count_queries

NEW_PASSWORD = "olive-lantern-quietly-7"
REMEMBER = "remember_token"


def sign_in(client, user, remember: bool = False) -> None:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def signed_in(client) -> bool:
    """True when the start page shows; False when the login page is where it sends you."""
    response = client.get("/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def browser_with(app, **cookies: str):
    """A new browser that sends only these cookies (a stolen or kept copy)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def user_form(user, **changes) -> dict:
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "locale": "en",
        "timezone": "Asia/Tehran",
        "active": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_old_session_cookie_no_longer_works_after_logout(app, client, make_user):
    sign_in(client, make_user("staff"))
    kept = cookie(client, "session")
    assert signed_in(browser_with(app, session=kept))  # a copy works while signed in
    assert client.post("/logout").status_code == 302
    assert not signed_in(client)
    assert not signed_in(browser_with(app, session=kept))


def test_logout_clears_the_remember_cookie_and_an_old_one_no_longer_works(app, client, make_user):
    sign_in(client, make_user("staff"), remember=True)
    kept = cookie(client, REMEMBER)
    assert signed_in(browser_with(app, **{REMEMBER: kept}))  # it signs in on its own
    response = client.post("/logout")
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(REMEMBER)]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]
    assert client.get_cookie(REMEMBER) is None
    assert not signed_in(browser_with(app, **{REMEMBER: kept}))


def test_changing_ones_password_ends_every_other_session_but_this_one(app, make_user):
    user = make_user("staff")
    here, elsewhere, remembered = app.test_client(), app.test_client(), app.test_client()
    sign_in(here, user)
    sign_in(elsewhere, user)
    sign_in(remembered, user, remember=True)
    kept = cookie(remembered, REMEMBER)
    response = here.post(
        "/settings/password",
        data={"pw-current": PASSWORD, "pw-new": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(remembered)
    assert not signed_in(browser_with(app, **{REMEMBER: kept}))


def test_an_administrator_resetting_a_password_ends_the_users_sessions(app, auth, make_user):
    user = make_user("staff")
    theirs = app.test_client()
    sign_in(theirs, user, remember=True)
    auth.login("admin")
    response = auth.client.post(
        f"/users/{user.id}/edit", data=user_form(user, password=NEW_PASSWORD)
    )
    assert response.status_code == 302
    assert not signed_in(theirs)
    assert signed_in(auth.client)  # the administrator's own session goes on


def test_deactivating_a_user_ends_their_sessions_for_good(app, auth, make_user):
    """Reactivated later, they sign in again: the old cookies stay dead."""
    user = make_user("staff")
    theirs = app.test_client()
    sign_in(theirs, user, remember=True)
    auth.login("admin")
    auth.client.post(f"/users/{user.id}/edit", data=user_form(user, active=None))
    assert not signed_in(theirs)
    auth.client.post(f"/users/{user.id}/edit", data=user_form(user))
    assert not signed_in(theirs)
    sign_in(theirs, user)
    assert signed_in(theirs)


def test_changing_only_a_name_leaves_the_user_signed_in(app, auth, make_user):
    user = make_user("staff")
    theirs = app.test_client()
    sign_in(theirs, user)
    auth.login("admin")
    auth.client.post(f"/users/{user.id}/edit", data=user_form(user, display_name="Renamed"))
    assert signed_in(theirs)


def test_sessions_survive_a_restart_and_end_in_every_process(app, make_user):
    """Another process (or the app after a restart) knows the session, and a logout there
    ends it here."""
    first = app.test_client()
    sign_in(first, make_user("staff"), remember=True)
    restarted = create_app(
        type(
            "Restarted",
            (TestConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "CRM_INSTANCE_PATH": app.instance_path,
            },
        )
    )
    try:
        cookies = {name: cookie(first, name) for name in ("session", REMEMBER)}
        there = browser_with(restarted, **cookies)
        assert signed_in(there)
        assert signed_in(browser_with(restarted, **{REMEMBER: cookies[REMEMBER]}))
        assert there.post("/logout").status_code == 302
        assert not signed_in(first)
        assert not signed_in(browser_with(app, **{REMEMBER: cookies[REMEMBER]}))
    finally:
        with restarted.app_context():
            db.engine.dispose()


def test_an_expired_session_signs_no_one_in(app, client, make_user):
    sign_in(client, make_user("staff"), remember=True)
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()
    assert not signed_in(client)


def test_the_table_keeps_only_a_hash_of_the_token(app, client, make_user):
    sign_in(client, make_user("staff"), remember=True)
    with app.app_context():
        stored = db.session.scalar(sa.select(UserSession.token_hash))
    token = cookie(client, REMEMBER).split("|")[0]
    assert len(stored) == 64 and token not in stored
    assert not token.isdigit()  # the cookie names a sign-in, not the user's id


def test_last_seen_is_written_at_most_once_a_minute(app, client, make_user):
    sign_in(client, make_user("staff"))
    with count_queries(app) as statements:
        for _ in range(3):
            assert signed_in(client)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    a_while_ago = utcnow() - timedelta(minutes=5)
    with app.app_context():
        db.session.execute(sa.update(UserSession).values(last_seen_at=a_while_ago))
        db.session.commit()
    with count_queries(app) as statements:
        for _ in range(3):
            assert signed_in(client)
    assert (
        len([s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]) == 1
    )
    with app.app_context():
        seen = db.session.scalar(sa.select(UserSession.last_seen_at))
    assert seen > a_while_ago + timedelta(minutes=4)


def test_each_sign_in_is_its_own_session(app, make_user):
    user = make_user("staff")
    for _ in range(3):
        sign_in(app.test_client(), user)
    with app.app_context():
        rows = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
        assert len(list(rows)) == 3
        assert db.session.get(User, user.id).last_login_at is not None
