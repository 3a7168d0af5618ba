"""The audit trail: every audit entry belongs to an act; indexes to list acts by record, kind
and user.

Entries written before this revision have no act. They are grouped into acts here: the
entries of one user, made the same way, written one after another (no other entry between
them) within a second of the previous one — what one request wrote. From now on the flush
hook writes the act of each transaction itself (``crm.audit``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 05:40:00

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import crm.models


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SAME_ACT = timedelta(seconds=1)
BATCH = 5000

log = sa.table(
    'audit_log',
    sa.column('id', sa.Integer),
    sa.column('at', crm.models.UTCDateTime(timezone=True)),
    sa.column('user_id', sa.Integer),
    sa.column('via', sa.String),
    sa.column('act_id', sa.Integer),
)
acts = sa.table(
    'audit_acts',
    sa.column('id', sa.Integer),
    sa.column('at', crm.models.UTCDateTime(timezone=True)),
    sa.column('user_id', sa.Integer),
    sa.column('via', sa.String),
    sa.column('kind', sa.String),
    sa.column('summary', sa.Text),
)


def _give_acts(conn) -> None:
    """One act per run of entries without one (see the module's docstring), oldest first, so
    that acts are numbered in the order they happened."""
    run = None  # [first id, last id, first at, last at, user id, via]

    def close(run) -> None:
        first, last, at, _last_at, user_id, via = run
        act_id = conn.execute(
            sa.insert(acts)
            .values(at=at, user_id=user_id, via=via or '', kind='', summary='')
            .returning(acts.c.id)
        ).scalar_one()
        conn.execute(
            sa.update(log)
            .where(log.c.id.between(first, last), log.c.act_id.is_(None))
            .values(act_id=act_id)
        )

    after = 0
    while True:
        rows = conn.execute(
            sa.select(log.c.id, log.c.at, log.c.user_id, log.c.via)
            .where(log.c.act_id.is_(None), log.c.id > after)
            .order_by(log.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for id_, at, user_id, via in rows:
            if run and (run[4], run[5]) == (user_id, via) and at - run[3] <= SAME_ACT:
                run[1], run[3] = id_, at
            else:
                if run:
                    close(run)
                run = [id_, id_, at, at, user_id, via]
        after = rows[-1][0]
    if run:
        close(run)


def upgrade():
    _give_acts(op.get_bind())
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('act_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index('ix_audit_log_object')
        batch_op.create_index(
            'ix_audit_log_object', ['object_type', 'object_id', 'act_id'], unique=False
        )
        batch_op.create_index('ix_audit_log_kind_act', ['object_type', 'act_id'], unique=False)
        batch_op.create_index('ix_audit_log_user_act', ['user_id', 'act_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_user_act')
        batch_op.drop_index('ix_audit_log_kind_act')
        batch_op.drop_index('ix_audit_log_object')
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id'], unique=False)
        batch_op.alter_column('act_id', existing_type=sa.Integer(), nullable=True)
