"""Give metrics.is_nan its DEFAULT 0 back where 39d1c3be5f05 dropped it (MySQL)."""

import sqlalchemy as sa
from alembic import op

from compat import migration as step

revision = "c48cb773bb87"
down_revision = "39d1c3be5f05"
branch_labels = None
depends_on = None

# MLflow's step adds the boolean's CHECK once more, so MySQL ends with two on metrics.is_nan.
CHECKS_AFTER = 2


def upgrade() -> None:
    """A rerun after a kill finds any number of the CHECKs: it adds or drops to end with two."""
    if step.dialect().type_change_drops_default:
        add_check = len(step.checks_on("metrics", "is_nan")) < CHECKS_AFTER
        _retype_is_nan(with_check=add_check, server_default="0")
        step.drop_surplus_checks("metrics", "is_nan", keep=CHECKS_AFTER)


def downgrade() -> None:
    """Take the DEFAULT and the second CHECK away again, leaving 39d1c3be5f05's schema."""
    if not step.dialect().type_change_drops_default:
        return
    _retype_is_nan(with_check=False, server_default=None)
    names = sorted(str(check["name"]) for check in step.checks_on("metrics", "is_nan"))
    if len(names) >= CHECKS_AFTER:
        op.drop_constraint(names[-1], "metrics", type_="check")


def _retype_is_nan(with_check: bool, server_default: str | None) -> None:
    with step.altering("metrics") as batch:
        batch.alter_column(
            "is_nan",
            type_=sa.Boolean(create_constraint=with_check),
            nullable=False,
            server_default=server_default,
        )
