"""Password rules (length and zxcvbn's estimate, with messages of our own in both languages),
applied by the service for the settings page, the user form and the create-user command; and
a sign-in that takes as long whether or not the email exists."""

import random
import string

import pytest

from crm.auth import passwords
from crm.auth.passwords import MAX_PASSWORD, password_problem
from crm.auth.services import UserData, user_problems
from crm.demo.data import DEMO_PASSWORD
from tests.conftest import PASSWORD

EMAIL, NAME = "neda.rezaei@example.org", "Neda Rezaei"
LONG_AND_RANDOM = "".join(random.Random(1404).choices(string.ascii_letters + "#-!4", k=200))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password123", "commonly used password"),
        ("1234567890", "commonly used password"),
        ("iloveyou2023!", "commonly used password"),
        ("aaaaaaaaaaaa", "Avoid repeated characters and words"),
        ("tehrantehran", "Avoid repeated characters and words"),
        ("abcdefghijkl", "Avoid sequences"),
        ("zxcvbnm,./", "Avoid rows of keys"),
        ("neda.rezaei1", "your own name or email address"),
        ("Neda-Rezaei-2024", "your own name or email address"),
        ("NedaRezaei1404!", "your own name or email address"),
        ("rezaei-2024-neda", "your own name or email address"),
        (EMAIL, "your own name or email address"),
        ("short", "Use at least 10 characters."),
        ("x" * (MAX_PASSWORD + 1), "Use at most 200 characters."),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(ctx, password, message):
    assert message in str(password_problem(password, EMAIL, NAME))


@pytest.mark.parametrize(
    "password",
    [DEMO_PASSWORD, PASSWORD, "olive-lantern-quietly-7", "rezaei!Xk29qL#Vw", LONG_AND_RANDOM],
)
def test_passwords_hard_to_guess_pass(ctx, password):
    assert password_problem(password, EMAIL, NAME) is None


def test_the_demo_password_passes_for_every_demo_user(ctx):
    from crm.demo.data import USERS
    from crm.demo.small import demo_email

    for role, name, _locale in USERS:
        assert password_problem(DEMO_PASSWORD, demo_email(role), name) is None


def test_a_too_long_password_is_refused_before_zxcvbn_and_zxcvbn_judges_at_most_72(
    ctx, monkeypatch
):
    judged: list[int] = []
    real = passwords.zxcvbn

    def spy(password, **options):
        judged.append(len(password))
        return real(password, **options)

    monkeypatch.setattr(passwords, "zxcvbn", spy)
    assert "at most 200" in str(password_problem("Zq8#" * 60))
    assert judged == []
    assert password_problem(LONG_AND_RANDOM) is None  # 200 characters, judged quickly
    assert judged and max(judged) <= 72


def test_the_service_refuses_a_weak_password_for_a_new_user(ctx):
    data = UserData(EMAIL, NAME, "staff", "en", "Asia/Tehran", True, "Neda-Rezaei-2024")
    assert "your own name or email address" in str(user_problems(None, data)["password"])


def test_changing_ones_password_refuses_a_weak_one_in_persian(auth, client):
    auth.login("staff", locale="fa")
    response = client.post(
        "/settings/password",
        data={"pw-current": PASSWORD, "pw-new": "aaaaaaaaaaaa", "pw-confirm": "aaaaaaaaaaaa"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "از تکرار نویسه‌ها و واژه‌ها" in html
    assert "Avoid" not in html


def test_a_too_long_new_password_is_told_so(auth, client):
    auth.login("staff")
    long = "Zq8#" * 60
    response = client.post(
        "/settings/password", data={"pw-current": PASSWORD, "pw-new": long, "pw-confirm": long}
    )
    html = response.get_data(as_text=True)
    assert "Use at most 200 characters." in html
    assert "Use at least" not in html


def test_the_administrators_form_refuses_a_password_built_on_the_name(auth, client):
    auth.login("admin")
    response = client.post(
        "/users/new",
        data={
            "email": EMAIL,
            "display_name": NAME,
            "role": "staff",
            "locale": "en",
            "timezone": "Asia/Tehran",
            "active": "y",
            "password": "Neda-Rezaei-2024",
        },
    )
    assert response.status_code == 200
    assert "Do not build the password on your own name or email address." in response.get_data(
        as_text=True
    )


def test_the_create_user_command_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["crm", "create-user", "--email", EMAIL, "--name", NAME, "--password-stdin"],
        input="password123456\n",
    )
    assert result.exit_code != 0
    assert "commonly used password" in result.output


@pytest.fixture
def password_checks(monkeypatch):
    """Count every scrypt check, wherever it is made."""
    from crm.auth import models, services

    calls: list[str] = []

    def counting(module):
        real = module.check_password_hash

        def check(pwhash, password):
            calls.append(pwhash.split("$")[0])
            return real(pwhash, password)

        return check

    for module in (models, services):
        monkeypatch.setattr(module, "check_password_hash", counting(module))
    return calls


def test_login_checks_a_password_hash_whether_or_not_the_email_exists(
    client, make_user, password_checks
):
    user = make_user("staff")
    inactive = make_user("staff", active=False)
    for email in ("nobody@example.org", user.email, inactive.email):
        password_checks.clear()
        response = client.post("/login", data={"email": email, "password": "wrong-password"})
        assert "The email or password is not right." in response.get_data(as_text=True)
        assert len(password_checks) == 1, email
        assert password_checks[0].startswith("scrypt:"), email  # the same kind of work
