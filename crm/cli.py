"""``flask --app app crm …`` commands."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (for scripts): never on the command line.",
)
def create_user_command(email, display_name, role, locale, timezone, password_stdin):
    """Create a user who can sign in, with a password asked for twice (or read from standard
    input): a password in the arguments would show in the process list and the history."""
    from crm.auth.services import UserData, create_user
    from crm.exceptions import RuleBroken

    password = _new_password(password_stdin)

    data = UserData(email, display_name, role, locale, timezone, True, password)
    try:
        user = create_user(data)
    except RuleBroken as error:
        messages = " ".join(str(message) for message in error.errors.values())
        raise click.UsageError(messages) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")


def _new_password(from_stdin: bool, prompt: str = "Password") -> str:
    """A password read from standard input's first line, or asked for twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _user_by_email(email: str):
    from crm.auth.services import find_by_email

    user = find_by_email(email)
    if user is None:
        raise click.UsageError(f"No user has the e-mail address {email.strip()!r}.")
    return user


@crm_cli.command("list-users")
def list_users_command():
    """Every user: e-mail, role, language, whether active, last sign-in (UTC)."""
    from crm.auth.models import User

    users = db.session.scalars(select(User).order_by(User.active.desc(), User.email)).all()
    rows = [("E-MAIL", "ROLE", "LANGUAGE", "ACTIVE", "LAST SIGN-IN", "NAME")]
    for user in users:
        seen = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        active = "yes" if user.active else "no"
        rows.append((user.email, user.role, user.locale, active, seen, user.display_name))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        click.echo("  ".join(cells) + f"  {row[5]}")
    click.echo(f"{len(users)} users.")


@crm_cli.command("reset-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from standard input (for scripts): never on the command line.",
)
@click.option(
    "--link",
    is_flag=True,
    help="Print a link that lets the user choose a password (once, within an hour) instead.",
)
def reset_password_command(email, password_stdin, link):
    """Give EMAIL's user a new password, asked for twice (or read from standard input), sign
    them out everywhere and forget their login slow-down; or, with --link, print a one-time
    link for the user to choose it themselves (the same as the e-mailed one)."""
    from crm.auth.services import reset_password
    from crm.exceptions import RuleBroken

    user = _user_by_email(email)
    if link:
        from crm.auth.recovery import reset_link

        if password_stdin:
            raise click.UsageError("Use either --link or --password-stdin.")
        if not user.active:
            raise click.UsageError(f"{user.email} is deactivated: a link would not work.")
        click.echo(f"A link for {user.email} to choose a new password (once, within an hour):")
        click.echo(reset_link(user))
        return
    password = _new_password(password_stdin, "New password")
    try:
        reset_password(user, password)
    except RuleBroken as error:
        messages = " ".join(str(message) for message in error.errors.values())
        raise click.UsageError(messages) from None
    db.session.commit()
    click.echo(f"New password set for {user.email}; signed out everywhere.")


@crm_cli.command("clear-slowdown")
@click.argument("email", required=False)
@click.option("--address", help="An IP address refused after too many failed sign-ins.")
def clear_slowdown_command(email, address):
    """Forget the failed sign-ins of EMAIL's account, so its next attempt waits for nothing;
    with --address, those of an address, so it may try again at once."""
    from ipaddress import ip_address

    from crm.auth import throttle

    if not email and not address:
        raise click.UsageError("Give an account's e-mail address, or --address, or both.")
    forms: set[str] = set()  # as typed and as written canonically (2001:db8::0efa, ::efa)
    if address:
        try:
            forms = {address.strip(), str(ip_address(address.strip()))}
        except ValueError:
            raise click.UsageError(f"{address!r} is not an IP address.") from None
    user = _user_by_email(email) if email else None
    if user is not None:
        throttle.succeeded(user.email)
    for form in sorted(forms):
        throttle.clear_address(form)
    if throttle.counters().fallen_back:
        raise click.ClickException(
            "The throttling storage (Redis) cannot be reached: while it is down, each web "
            "process counts failed sign-ins in its own memory, which this command cannot reach. "
            "The slow-down ends by itself once the account's failures are older than "
            "CRM_LOGIN_LIMIT's window."
        )
    if user is not None:
        click.echo(f"The login slow-down of {user.email} is cleared.")
    if address:
        click.echo(f"The login limit of the address {address.strip()} is cleared.")


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


@contextmanager
def _backup_errors() -> Iterator[None]:
    """A refused backup or restore, or an unreachable database: one line, exit code 1."""
    from sqlalchemy.exc import OperationalError

    from crm.ops.backup import BackupError

    try:
        yield
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OperationalError as error:
        raise click.ClickException(f"The database cannot be reached: {error.orig}") from None


@crm_cli.command("backup")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the archive into (default: backups in the instance folder).",
)
def backup_command(output):
    """Write one archive of the database and the uploaded files, with a manifest of their
    checksums (mode 0600), and print its path. Safe while the app runs."""
    from flask import current_app

    from crm.ops.backup import create_backup

    folder = output or Path(current_app.instance_path) / "backups"
    with _backup_errors():
        archive = create_backup(folder, say=lambda line: click.echo(line, err=True))
    click.echo(str(archive.absolute()))


@crm_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive):
    """Restore ARCHIVE (made by ``crm backup``) into an empty database and an empty upload
    folder, after checking every file's checksum. Stop the app first."""
    from crm.ops.backup import restore_backup

    with _backup_errors():
        notes = restore_backup(archive, say=lambda line: click.echo(line, err=True))
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"Restored {archive}.")


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
