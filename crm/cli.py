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


@crm_cli.command("check-config")
def check_config_command():
    """Print the effective configuration, secrets hidden (a bad setting stops before this, with
    one line naming it), and the running version."""
    from flask import current_app

    from crm.config import shown_settings
    from crm.ops.version import running_version

    running = running_version()
    click.echo(f"sister-city-crm {running['version']} (commit {running['commit']})")
    settings = shown_settings(current_app.config)
    width = max(len(name) for name, _value in settings)
    for name, value in settings:
        click.echo(f"{name:<{width}}  {value}")


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


@crm_cli.command("health")
def health_command():
    """Score every current partner's relationship health again (the nightly job, now)."""
    from time import perf_counter

    from crm.health.services import recompute_all

    started = perf_counter()
    done = recompute_all()
    click.echo(
        f"Scored {done['scored']} partners in {perf_counter() - started:.2f} s; "
        f"{done['forgotten']} old daily scores removed."
    )


@crm_cli.command("sweep")
def sweep_command():
    """Sweep the reminders now and deliver what is due before exiting (for scripts and cron)."""
    from crm.reminders.delivery import deliver
    from crm.reminders.sweep import sweep

    result = sweep()
    outcomes: dict[str, int] = {}
    for reminder_id in result.ready:
        outcome = deliver(reminder_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    done = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    click.echo(
        f"Swept {result.since:%Y-%m-%d %H:%M} to {result.until:%Y-%m-%d %H:%M} UTC in "
        f"{result.seconds:.2f} s: {result.written} reminders written ({result.skipped} skipped "
        f"as too old), {result.reaped} taken back from stopped workers; delivered: "
        f"{done or 'nothing'}."
    )


@crm_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst):
    """Run a worker for the background jobs (needs REDIS_URL), inside the app."""
    from flask import current_app
    from rq import SimpleWorker

    from crm import jobs

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError(
            "REDIS_URL is not set: without it the web process runs its own worker (make run)."
        )
    worker = SimpleWorker([jobs.queue()], connection=jobs.connection())
    worker.work(burst=burst, logging_level="INFO")


@crm_cli.command("scheduler")
def scheduler_command():
    """Run the schedule of periodic jobs (the reminder sweep every minute); the same as
    ``rq cron crm.jobs.schedule --url $REDIS_URL``."""
    from flask import current_app
    from rq.cron import CronScheduler

    from crm import jobs

    if not current_app.config.get("REDIS_URL"):
        raise click.UsageError(
            "REDIS_URL is not set: without it the web process sweeps by itself (make run)."
        )
    scheduler = CronScheduler(connection=jobs.connection())
    scheduler.load_config_from_file("crm.jobs.schedule")
    scheduler.start()


def init_cli(app: Flask) -> None:
    from crm import demo

    crm_cli.add_command(demo.seed_demo_command)
    app.cli.add_command(crm_cli)
