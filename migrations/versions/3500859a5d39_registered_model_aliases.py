"""Add registered_model_aliases."""

import sqlalchemy as sa

from compat import migration as step

revision = "3500859a5d39"
down_revision = "97727af70f4d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.create_table_once(
        "registered_model_aliases",
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey(
                "registered_models.name",
                name="registered_model_alias_name_fkey",
                onupdate="cascade",
                ondelete="cascade",
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", "alias", name="registered_model_alias_pk"),
    )


def downgrade() -> None:
    step.drop_table_if_present("registered_model_aliases")
