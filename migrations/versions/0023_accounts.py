"""A contact's personal data erased on request: ``contacts.erased_at``, when it happened
(``crm.partners.erasure``). The row stays, named "Erased contact", so that the activities that
link to it keep their link.

Revision ID: 0023_accounts
Revises: 0021_import_jobs

"""
import sqlalchemy as sa
from alembic import op

import crm.models


# revision identifiers, used by Alembic.
revision = '0023_accounts'
down_revision = "0021_import_jobs"
branch_labels = None
depends_on = None


def upgrade():  # ALTER TABLE ADD COLUMN: SQLite keeps the search triggers
    op.add_column(
        'contacts', sa.Column('erased_at', crm.models.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade():  # in place: a copied SQLite table loses its triggers
    op.execute('ALTER TABLE contacts DROP COLUMN erased_at')
