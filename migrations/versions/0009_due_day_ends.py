"""Activities store ``day_ends_at``: for a due date, the end of that day in its owner's time
zone (the application's when nobody owns it), when it becomes overdue. A day is not always 24
hours after its start: on a daylight-saving change it lasts 23 or 25, which ``when_at`` plus a
day got wrong by an hour.

The backfill computes the ends in Python, one UPDATE per owner's zone and due day
(``crm.activities.models.day_end``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 21:30:00

"""

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from alembic import context, op

import crm.models
from crm.formatting import default_zone, local_to_utc, zone_of


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def backfill_day_ends_at(connection) -> None:
    """Fill ``day_ends_at`` of every due date from its owner's zone."""
    activities = sa.table(
        "activities",
        sa.column("owner_id"),
        sa.column("starts_at", crm.models.UTCDateTime()),
        sa.column("due_on", sa.Date()),
        sa.column("day_ends_at", crm.models.UTCDateTime()),
    )
    users = sa.table("users", sa.column("id"), sa.column("timezone"))
    owners = defaultdict(list)
    for user_id, zone in connection.execute(sa.select(users.c.id, users.c.timezone)):
        owners[zone or default_zone()].append(user_id)
    due = (activities.c.starts_at.is_(None), activities.c.due_on.is_not(None))
    days = connection.scalars(sa.select(activities.c.due_on).where(*due).distinct()).all()
    if not days:
        return
    # an owner's zone, or the application's: one bound value per row, as executemany needs
    # (a list of ids for IN cannot be bound there)
    zoned = sa.select(users.c.id).where(
        sa.func.coalesce(sa.func.nullif(users.c.timezone, ""), sa.bindparam("default"))
        == sa.bindparam("zone")
    )
    groups = [(default_zone(), activities.c.owner_id.is_(None))]
    groups += [(zone, activities.c.owner_id.in_(zoned)) for zone in owners]
    for zone, whose in groups:
        whom = {"zone": zone, "default": default_zone()}
        connection.execute(
            activities.update()
            .where(*due, whose, activities.c.due_on == sa.bindparam("day"))
            .values(day_ends_at=sa.bindparam("end")),
            [
                {"day": d, "end": local_to_utc(d + timedelta(days=1), None, zone_of(zone)), **whom}
                for d in days
            ],
        )


def upgrade():
    # in place (no batch copy): a copied SQLite table would lose its search triggers (0005)
    op.add_column(
        "activities",
        sa.Column("day_ends_at", crm.models.UTCDateTime(timezone=True), nullable=True),
    )
    if not context.is_offline_mode():  # the ends of the due days are computed in Python
        backfill_day_ends_at(op.get_bind())


def downgrade():
    op.execute("ALTER TABLE activities DROP COLUMN day_ends_at")
