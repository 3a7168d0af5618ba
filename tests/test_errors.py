"""Error pages are translated pages of the app, never a bare server error."""

import pytest

from crm.extensions import db


@pytest.fixture
def failing_app(app):
    """The app with one route that breaks, and errors rendered as users would see them."""

    def broken():
        db.session.execute(db.text("SELECT * FROM no_such_table"))

    app.add_url_rule("/broken", "broken", broken)
    app.view_functions["broken"].required_role = "viewer"
    app.config["PROPAGATE_TEST_ERRORS"] = False
    return app


def test_unknown_page_is_a_translated_404(auth, client):
    auth.login("viewer", locale="fa")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'dir="rtl"' in page and "پیدا نشد" in page


def test_unknown_record_is_a_404_in_english(auth, client):
    auth.login("viewer")
    for url in ("/partners/999999", "/contacts/999999", "/agreements/999999", "/activities/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "This page or record does not exist" in response.get_data(as_text=True)


def test_forbidden_action_is_a_translated_403(auth, client):
    auth.login("viewer", locale="fa")
    response = client.get("/partners/new")
    assert response.status_code == 403
    assert "نقش شما اجازهٔ این کار را نمی‌دهد" in response.get_data(as_text=True)


def test_unexpected_error_is_a_translated_500_and_nothing_is_kept(failing_app, make_user):
    from tests.conftest import PASSWORD

    user = make_user("viewer", locale="fa")
    client = failing_app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.get("/broken")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "خطایی رخ داد" in page and "Traceback" not in page
    assert client.get("/").status_code == 200  # the next request works as usual


def test_wrong_method_is_a_translated_405(auth, client):
    auth.login("staff")
    response = client.get("/partners/1/archive")
    assert response.status_code == 405
    assert "This action is not available here." in response.get_data(as_text=True)
