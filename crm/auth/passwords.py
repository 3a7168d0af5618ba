"""What makes a password acceptable: its length, and how hard it is to guess.

The guessing estimate is zxcvbn's (common passwords, words and names, repeats, sequences,
keyboard rows, dates, and the user's own email and name). zxcvbn explains itself in English
only, so its findings are mapped to messages of our own, translated like every other.
"""

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from crm.formatting import LocalNumber

MIN_PASSWORD = 10
MAX_PASSWORD = 200
# zxcvbn slows down sharply on long input (seconds for 200 random characters); it judges the
# first characters, and a password that is long beyond them only gets harder to guess.
JUDGED_LENGTH = 72
GOOD_SCORE = 3  # zxcvbn's 0-4 scale; 3: "safely unguessable", about 10^8 guesses or more

# zxcvbn's findings (a match's pattern, or a dictionary's name), most telling first.
FINDINGS: list[tuple[str, Any]] = [
    ("user_inputs", _l("Do not build the password on your own name or email address.")),
    ("passwords", _l("This is, or contains, a commonly used password. Choose another.")),
    ("repeat", _l('Avoid repeated characters and words, such as "aaa" or "abcabc".')),
    ("sequence", _l('Avoid sequences such as "abcd" or "6543".')),
    ("spatial", _l('Avoid rows of keys such as "qwerty".')),
    ("date", _l("Avoid dates and years: they are easy to guess.")),
    ("regex", _l("Avoid dates and years: they are easy to guess.")),
    ("dictionary", _l("A single word or name is easy to guess: add two or three more words.")),
]
TOO_EASY = _l("This password is easy to guess. Use three or four unrelated words.")


def personal_words(email: str = "", name: str = "") -> list[str]:
    """What a guesser who knows the user tries first: the email address, its local part and
    the words in it, the name and its words (three letters or more)."""
    email, name = email.strip().lower(), name.strip().lower()
    local = email.partition("@")[0]
    words = [email, local, re.sub(r"\W+", "", name), name]
    words += re.split(r"[\W_\d]+", local) + re.split(r"\W+", name)
    return list(dict.fromkeys(word for word in words if len(word) >= 3))


def _finding(result: dict) -> Any:
    found = {m.get("dictionary_name") or m["pattern"] for m in result["sequence"]}
    found |= {m["pattern"] for m in result["sequence"]}
    return next((message for key, message in FINDINGS if key in found), TOO_EASY)


def _without(password: str, words: list[str]) -> str:
    for word in sorted(words, key=len, reverse=True):
        password = re.sub(re.escape(word), "", password, flags=re.IGNORECASE)
    return password


def password_problem(password: str, email: str = "", name: str = "") -> Any:
    """The message saying why ``password`` will not do for the user with ``email`` and
    ``name``, or None when it is fine."""
    if len(password) < MIN_PASSWORD:
        return _l("Use at least %(num)s characters.", num=LocalNumber(MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:  # checked first: zxcvbn is slow on very long input
        return _l("Use at most %(num)s characters.", num=LocalNumber(MAX_PASSWORD))
    judged = password[:JUDGED_LENGTH]
    words = personal_words(email, name)
    result = zxcvbn(judged, user_inputs=words, max_length=JUDGED_LENGTH)
    if result["score"] < GOOD_SCORE:
        return _finding(result)
    # Your own name with a year or a sign added is easy to guess even when zxcvbn's estimate
    # of the whole is high: judge what is left without it.
    rest = _without(judged, words)
    if rest != judged and zxcvbn(rest, max_length=JUDGED_LENGTH)["score"] < GOOD_SCORE:
        return FINDINGS[0][1]
    return None
