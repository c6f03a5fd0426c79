"""Add the registered_model_tags table."""

import sqlalchemy as sa

from compat import migration as step

revision = "728d730b5ebd"
down_revision = "0a8213491aaa"
branch_labels = None
depends_on = None


def upgrade() -> None:
    step.create_table_once(
        "registered_model_tags",
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.String(5000)),
        sa.Column(
            "name",
            sa.String(256),
            sa.ForeignKey("registered_models.name", onupdate="cascade"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", "name", name="registered_model_tag_pk"),
    )


def downgrade() -> None:
    step.drop_table_if_present("registered_model_tags")
