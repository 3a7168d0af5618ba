"""Duplicates: partners and contacts say which record they were merged into, and each merge
keeps what it moved so that an administrator's undo is exact.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 10:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('undo_act_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['act_id'], ['audit_acts.id'], name=op.f('fk_merges_act_id_audit_acts')),
    sa.ForeignKeyConstraint(['undo_act_id'], ['audit_acts.id'], name=op.f('fk_merges_undo_act_id_audit_acts')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_merges_undone_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_merges_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merges'))
    )
    with op.batch_alter_table('merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merges_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_merges_kind_survivor', ['kind', 'survivor_id'], unique=False)

    for table in ('partners', 'contacts'):  # ALTER TABLE ADD COLUMN: SQLite keeps the triggers
        op.add_column(table, sa.Column('merged_into_id', sa.Integer(), nullable=True))

    # the duplicates finder's groups, from covering indexes alone
    op.create_index('ix_contacts_email', 'contacts', ['email', 'partner_id', 'archived_at'], unique=False)
    op.create_index('ix_contacts_phone', 'contacts', ['phone', 'partner_id', 'archived_at'], unique=False)
    op.create_index('ix_contacts_partner_names', 'contacts', ['partner_id', 'sort_en', 'sort_fa', 'archived_at'], unique=False)


def downgrade():
    for name in ('ix_contacts_partner_names', 'ix_contacts_phone', 'ix_contacts_email'):
        op.drop_index(name, table_name='contacts')

    for table in ('contacts', 'partners'):  # in place: a copied SQLite table loses its triggers
        op.execute(f'ALTER TABLE {table} DROP COLUMN merged_into_id')

    with op.batch_alter_table('merges', schema=None) as batch_op:
        batch_op.drop_index('ix_merges_kind_survivor')
        batch_op.drop_index(batch_op.f('ix_merges_created_at'))

    op.drop_table('merges')
