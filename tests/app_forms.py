"""The app's forms, found by looking rather than listed, for tests over every form."""

import importlib

from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

DOMAINS = ("partners", "agreements", "activities", "auth")


def app_forms() -> dict[str, type[FlaskForm]]:
    """Every form class of the app, by name."""
    for domain in DOMAINS:
        importlib.import_module(f"crm.{domain}.forms")
    found: dict[str, type[FlaskForm]] = {}
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("crm."):
            found[cls.__name__] = cls
    return found


def unbound_fields(cls: type[FlaskForm]) -> dict[str, UnboundField]:
    return {
        name: value for name in dir(cls) if isinstance(value := getattr(cls, name), UnboundField)
    }
