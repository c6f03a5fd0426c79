"""model_versions.run_id may be NULL; going back refuses while any version has none."""

import sqlalchemy as sa

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "a8c4a736bde6"
down_revision = "84291f40a231"
branch_labels = None
depends_on = None

LOSSY_COLUMNS = (lossy.Required("model_versions", "run_id"),)


def upgrade() -> None:
    _set_nullable(True, frozen_tables.model_versions())


def downgrade() -> None:
    lossy.check(LOSSY_COLUMNS)
    _set_nullable(False)


def _set_nullable(nullable: bool, before: sa.Table | None = None) -> None:
    with step.altering("model_versions", before) as batch:
        batch.alter_column("run_id", nullable=nullable, existing_type=sa.String(32))
