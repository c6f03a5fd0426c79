"""Endpoints choose how to route among their models and what to fall back to; a model is
linked to an endpoint as its primary or as a fallback, so the unique key gains the link type.
Going down refuses while an endpoint links one model both ways."""

import sqlalchemy as sa

from compat import migration as step
from migrations import lossy

revision = "c9d4e5f6a7b8"
down_revision = "5d2d30f0abce"
branch_labels = None
depends_on = None

MAPPINGS = "endpoint_model_mappings"
OLD_UNIQUE = "unique_endpoint_model_mapping"
NEW_UNIQUE = "unique_endpoint_model_linkage_mapping"
LOSSY_COLUMNS = (
    lossy.Unique(
        MAPPINGS,
        ("endpoint_id", "model_definition_id"),
        identity=("mapping_id",),
        unfit_values="linked, with the same model definition, more than once",
    ),
)


def upgrade() -> None:
    step.add_column_once("endpoints", sa.Column("routing_strategy", sa.String(64)))
    step.add_column_once("endpoints", sa.Column("fallback_config_json", sa.Text()))
    step.add_column_once(
        MAPPINGS,
        sa.Column("linkage_type", sa.String(64), nullable=False, server_default="PRIMARY"),
    )
    step.add_column_once(MAPPINGS, sa.Column("fallback_order", sa.Integer()))
    step.drop_index_if_present(OLD_UNIQUE, MAPPINGS)
    step.create_index_once(
        NEW_UNIQUE, MAPPINGS, ["endpoint_id", "model_definition_id", "linkage_type"], unique=True
    )


def downgrade() -> None:
    lossy.check(LOSSY_COLUMNS)
    step.drop_index_if_present(NEW_UNIQUE, MAPPINGS)
    step.create_index_once(
        OLD_UNIQUE, MAPPINGS, ["endpoint_id", "model_definition_id"], unique=True
    )
    step.drop_column_if_present(MAPPINGS, "fallback_order")
    step.drop_column_if_present(MAPPINGS, "linkage_type")
    step.drop_column_if_present("endpoints", "fallback_config_json")
    step.drop_column_if_present("endpoints", "routing_strategy")
