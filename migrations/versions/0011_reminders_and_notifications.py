"""The reminder ledger, the sweeps' log, reminder settings and in-app notifications.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 03:57:28.020306

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_settings',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_reminder_settings'))
    )
    op.create_table('sweep_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.Column('written', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep_runs'))
    )
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweep_runs_until'), ['until'], unique=False)

    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('record_kind', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.String(length=60), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminders_recipient_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('rule', 'record_kind', 'record_id', 'occurrence', 'recipient_id', 'channel', name='uq_reminders_occurrence')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_reminders_status_due', ['status', 'due_at'], unique=False)

    op.create_table('user_reminder_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_reminder_settings_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'rule', name=op.f('pk_user_reminder_settings'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('record_kind', sa.String(length=20), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('reminder_id', sa.Integer(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], name=op.f('fk_notifications_reminder_id_reminders')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('reminder_id', name=op.f('uq_notifications_reminder_id'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(
            'ix_notifications_unread', ['user_id', 'id'], unique=False,
            sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'),
        )
        batch_op.create_index('ix_notifications_user_id_id', ['user_id', 'id', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id_id')
        batch_op.drop_index('ix_notifications_unread')

    op.drop_table('notifications')
    op.drop_table('user_reminder_settings')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_status_due')
        batch_op.drop_index(batch_op.f('ix_reminders_recipient_id'))

    op.drop_table('reminders')
    with op.batch_alter_table('sweep_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweep_runs_until'))

    op.drop_table('sweep_runs')
    op.drop_table('reminder_settings')
