"""``flask --app app crm …`` commands."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from crm.config import LOCALES
from crm.extensions import db

crm_cli = AppGroup("crm", help="Sister-city CRM commands.")


@crm_cli.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option(
    "--role",
    type=click.Choice(["viewer", "staff", "manager", "admin"]),
    default="staff",
    show_default=True,
)
@click.option("--locale", type=click.Choice(LOCALES), default="fa", show_default=True)
@click.option("--timezone", default="Asia/Tehran", show_default=True)
@click.password_option()
def create_user_command(email, display_name, role, locale, timezone, password):
    """Create a user who can sign in."""
    from crm.auth.services import UserData, create_user
    from crm.exceptions import RuleBroken

    data = UserData(email, display_name, role, locale, timezone, True, password)
    try:
        user = create_user(data)
    except RuleBroken as error:
        messages = " ".join(str(message) for message in error.errors.values())
        raise click.UsageError(messages) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")


@crm_cli.command("seed-reference")
def seed_reference_command():
    """Add the cooperation areas that are missing (the migration adds them too)."""
    from crm.reference import ensure_cooperation_areas

    added = ensure_cooperation_areas()
    db.session.commit()
    click.echo(f"Added {added} cooperation areas.")


@crm_cli.command("refresh-due-dates")
def refresh_due_dates_command():
    """Recompute when each due date begins and ends in its owner's time zone. Run it after
    changing CRM_DEFAULT_TIMEZONE: the due dates nobody owns follow that zone."""
    from crm.activities.models import move_due_dates, owner_zone
    from crm.auth.models import User

    session = db.session()
    owners: list[int | None] = [None, *session.scalars(select(User.id))]
    days = sum(move_due_dates(session, owner_zone(session, who), who) for who in owners)
    db.session.commit()
    click.echo(f"Recomputed {days} due days of {len(owners)} owners (nobody included).")


def init_cli(app: Flask) -> None:
    from crm import demo

    crm_cli.add_command(demo.seed_demo_command)
    app.cli.add_command(crm_cli)
