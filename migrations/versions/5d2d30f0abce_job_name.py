"""jobs.function_fullname becomes job_name, and its index follows.

MySQL renames a column by restating it; MLflow's rename restates job_name without NOT NULL,
so there (only there) job_name may be empty afterwards. The same is done here so that the
schemas agree, and going down refuses while a job has no name.
"""

import sqlalchemy as sa

from compat import migration as step
from migrations import lossy

revision = "5d2d30f0abce"
down_revision = "b7c8d9e0f1a2"
branch_labels = None
depends_on = None

OLD_INDEX = "index_jobs_function_status_creation_time"
NEW_INDEX = "index_jobs_name_status_creation_time"
LOSSY_COLUMNS = (lossy.Required("jobs", "job_name"),)


def upgrade() -> None:
    step.drop_index_if_present(OLD_INDEX, "jobs")
    step.rename_column_once("jobs", "function_fullname", "job_name", sa.String(500), nullable=True)
    step.create_index_once(NEW_INDEX, "jobs", ["job_name", "status", "creation_time"])


def downgrade() -> None:
    lossy.check(LOSSY_COLUMNS)
    step.drop_index_if_present(NEW_INDEX, "jobs")
    step.rename_column_once("jobs", "job_name", "function_fullname", sa.String(500), nullable=False)
    step.create_index_once(OLD_INDEX, "jobs", ["function_fullname", "status", "creation_time"])
