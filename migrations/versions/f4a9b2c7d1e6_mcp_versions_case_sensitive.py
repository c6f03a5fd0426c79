"""MCP server versions that differ by case alone are different versions (MLflow 3.18.0's head).

Only where string equality ignores case (MySQL, SQL Server) is there anything to change: the
version columns get a case-sensitive collation, and the keys and index over them are rebuilt
around it. Before that, every stored reference to a version must spell it exactly as the
version itself does, or the upgrade refuses; going back refuses while two versions of one
server differ by case alone.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.types import TypeEngine

from compat import TrackstoreError
from compat import migration as step
from migrations import lossy

revision = "f4a9b2c7d1e6"
down_revision = "8b6ad64cb8f5"
branch_labels = None
depends_on = None

VERSION_LENGTH = 128
SERVER_KEY = ("workspace", "name")
# The version columns: table, column, nullable.
VERSION_COLUMNS = (
    ("mcp_server_versions", "version", False),
    ("mcp_server_version_tags", "version", False),
    ("mcp_server_aliases", "version", False),
    ("mcp_access_endpoints", "server_version", True),
)
# The tables that refer to a version: table, server name column, version column.
REFERENCES = (
    ("mcp_server_version_tags", "name", "version"),
    ("mcp_server_aliases", "name", "version"),
    ("mcp_access_endpoints", "server_name", "server_version"),
)
TAGS_TO_VERSION = "mcp_server_version_tags_version_fkey"
ENDPOINT_INDEX = "ix_mcp_access_endpoints_version"
PRIMARY_KEYS = {
    "mcp_server_versions": ("mcp_server_versions_pk", (*SERVER_KEY, "version")),
    "mcp_server_version_tags": ("mcp_server_version_tags_pk", (*SERVER_KEY, "version", "key")),
}

LOSSY_COLUMNS = (lossy.CaseVariants("mcp_server_versions", "version", within=SERVER_KEY),)


def upgrade() -> None:
    if not step.dialect().case_sensitive_key_collation:
        return
    _require_exact_references()
    _retype(step.case_sensitive_string(VERSION_LENGTH))


def downgrade() -> None:
    if not step.dialect().case_sensitive_key_collation:
        return
    lossy.check(LOSSY_COLUMNS)
    _retype(sa.String(VERSION_LENGTH))


def _require_exact_references() -> None:
    """Refuse when a reference matches its version only when case is ignored: once versions
    are case-sensitive it would point at no version at all."""
    if step.offline():
        return
    versions = sa.table("mcp_server_versions", *map(sa.column, (*SERVER_KEY, "version")))
    for table, name, version in REFERENCES:
        refs = sa.table(table, sa.column("workspace"), sa.column(name), sa.column(version))
        mismatch = (
            op.get_bind()
            .execute(
                sa.select(refs.c.workspace, refs.c[name], refs.c[version], versions.c.version)
                .join(
                    versions,
                    sa.and_(
                        refs.c.workspace == versions.c.workspace,
                        refs.c[name] == versions.c.name,
                        refs.c[version] == versions.c.version,
                    ),
                )
                .where(
                    step.dialect().case_sensitive(refs.c[version])
                    != step.dialect().case_sensitive(versions.c.version)
                )
                .limit(1)
            )
            .first()
        )
        if mismatch is not None:
            workspace, server, written, stored = mismatch
            raise TrackstoreError(
                f"{table}.{version} holds '{written}' for MCP server '{server}' in workspace "
                f"'{workspace}', whose version is stored as '{stored}', so making versions "
                "case-sensitive was refused and nothing was changed; correct the reference to "
                "the stored spelling and upgrade again."
            )


def _retype(version_type: TypeEngine[Any]) -> None:
    """Give every version column `version_type`, lifting the keys and the index over them
    while it changes; each piece is lifted or put back only if still there or still missing,
    so a rerun after a failure part-way completes the job."""
    if step.offline() or step.foreign_key_to(
        "mcp_server_version_tags", "mcp_server_versions", [*SERVER_KEY, "version"]
    ):
        op.drop_constraint(TAGS_TO_VERSION, "mcp_server_version_tags", type_="foreignkey")
    step.drop_index_if_present(ENDPOINT_INDEX, "mcp_access_endpoints")
    for table, (name, _) in reversed(PRIMARY_KEYS.items()):
        if step.offline() or step.primary_key_columns(table):
            op.drop_constraint(name, table, type_="primary")
    for table, column, nullable in VERSION_COLUMNS:
        op.alter_column(
            table,
            column,
            existing_type=sa.String(VERSION_LENGTH),
            type_=version_type,
            existing_nullable=nullable,
            existing_server_default=None,
        )
    for table, (name, columns) in PRIMARY_KEYS.items():
        if not step.primary_key_columns(table):
            op.create_primary_key(name, table, list(columns))
    if (
        step.foreign_key_to(
            "mcp_server_version_tags", "mcp_server_versions", [*SERVER_KEY, "version"]
        )
        is None
    ):
        op.create_foreign_key(
            TAGS_TO_VERSION,
            "mcp_server_version_tags",
            "mcp_server_versions",
            [*SERVER_KEY, "version"],
            [*SERVER_KEY, "version"],
            ondelete="CASCADE",
            onupdate="CASCADE",
        )
    step.create_index_once(
        ENDPOINT_INDEX, "mcp_access_endpoints", ["workspace", "server_name", "server_version"]
    )
