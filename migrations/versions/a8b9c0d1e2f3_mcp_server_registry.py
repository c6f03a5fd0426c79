"""Add the MCP server registry: servers by workspace and name, their versions, tags, aliases,
and the endpoints through which a server is reached."""

import sqlalchemy as sa

from compat import migration as step

revision = "a8b9c0d1e2f3"
down_revision = "b7e4c1a90f23"
branch_labels = None
depends_on = None

WORKSPACE = 63
NAME = 256
VERSION = 128
USER = 256
TAG_KEY = 250
TAG_VALUE = 5000
# Child tables, dropped before mcp_servers (version tags before versions).
CHILDREN = (
    "mcp_access_endpoints",
    "mcp_server_aliases",
    "mcp_server_version_tags",
    "mcp_server_tags",
    "mcp_server_versions",
)


def upgrade() -> None:
    step.create_table_once(
        "mcp_servers",
        _workspace(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("display_name", sa.String(NAME), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("icons", sa.JSON(), nullable=True),
        *_audit(),
        sa.PrimaryKeyConstraint("workspace", "name", name="mcp_servers_pk"),
    )
    _create_versions()
    step.create_table_once(
        "mcp_server_tags",
        _workspace(),
        sa.Column("name", sa.String(NAME), nullable=False),
        *_tag(),
        _to_server("mcp_server_tags_server_fkey", "name"),
        sa.PrimaryKeyConstraint("workspace", "name", "key", name="mcp_server_tags_pk"),
    )
    step.create_table_once(
        "mcp_server_version_tags",
        _workspace(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.String(VERSION), nullable=False),
        *_tag(),
        sa.ForeignKeyConstraint(
            ["workspace", "name", "version"],
            [
                "mcp_server_versions.workspace",
                "mcp_server_versions.name",
                "mcp_server_versions.version",
            ],
            name="mcp_server_version_tags_version_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace", "name", "version", "key", name="mcp_server_version_tags_pk"
        ),
    )
    step.create_table_once(
        "mcp_server_aliases",
        _workspace(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("alias", sa.String(NAME), nullable=False),
        sa.Column("version", sa.String(VERSION), nullable=False),
        _to_server("mcp_server_aliases_server_fkey", "name"),
        sa.PrimaryKeyConstraint("workspace", "name", "alias", name="mcp_server_aliases_pk"),
    )
    _create_access_endpoints()


def _create_versions() -> None:
    step.create_table_once(
        "mcp_server_versions",
        _workspace(),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("version", sa.String(VERSION), nullable=False),
        sa.Column("version_major", sa.Integer(), nullable=False),
        sa.Column("version_minor", sa.Integer(), nullable=False),
        sa.Column("version_patch", sa.Integer(), nullable=False),
        sa.Column("version_prerelease_sort_key", sa.String(512), nullable=False),
        sa.Column("server_json", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'draft'")),
        sa.Column("tools", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(512), nullable=True),
        sa.Column("connect_options", sa.JSON(), nullable=True),
        *_audit(),
        _to_server("mcp_server_versions_server_fkey", "name"),
        sa.PrimaryKeyConstraint("workspace", "name", "version", name="mcp_server_versions_pk"),
    )
    # Finding a server's latest version narrows by status and then by the numeric version,
    # newest first; only this prefix is indexed, which keeps the key within MySQL's 3072 bytes.
    step.create_index_once(
        "idx_mcp_server_versions_latest",
        "mcp_server_versions",
        [
            "workspace",
            "name",
            "status",
            sa.text("version_major DESC"),
            sa.text("version_minor DESC"),
            sa.text("version_patch DESC"),
        ],
    )


def _create_access_endpoints() -> None:
    step.create_table_once(
        "mcp_access_endpoints",
        sa.Column("id", sa.String(36), nullable=False),
        _workspace(),
        sa.Column("server_name", sa.String(NAME), nullable=False),
        sa.Column("server_version", sa.String(VERSION), nullable=True),
        sa.Column("server_alias", sa.String(NAME), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column(
            "transport_type",
            sa.String(32),
            nullable=False,
            server_default=sa.text("'streamable-http'"),
        ),
        *_audit(),
        _to_server("mcp_access_endpoints_server_fkey", "server_name"),
        sa.PrimaryKeyConstraint("id", name="mcp_access_endpoints_pk"),
    )
    for index, columns in (
        ("ix_mcp_access_endpoints_server_name", ["workspace", "server_name"]),
        ("ix_mcp_access_endpoints_version", ["workspace", "server_name", "server_version"]),
        ("ix_mcp_access_endpoints_alias", ["workspace", "server_name", "server_alias"]),
    ):
        step.create_index_once(index, "mcp_access_endpoints", columns)


def downgrade() -> None:
    for table in (*CHILDREN, "mcp_servers"):
        step.drop_table_if_present(table)


def _workspace() -> sa.Column[str]:
    return sa.Column(
        "workspace", sa.String(WORKSPACE), nullable=False, server_default=sa.text("'default'")
    )


def _audit() -> tuple[sa.Column[str], sa.Column[str], sa.Column[int], sa.Column[int]]:
    """Who created and last changed a row, and when (epoch milliseconds)."""
    return (
        sa.Column("created_by", sa.String(USER), nullable=True),
        sa.Column("last_updated_by", sa.String(USER), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
    )


def _tag() -> tuple[sa.Column[str], sa.Column[str]]:
    return (
        sa.Column("key", sa.String(TAG_KEY), nullable=False),
        sa.Column("value", sa.String(TAG_VALUE), nullable=True),
    )


def _to_server(name: str, column: str) -> sa.ForeignKeyConstraint:
    """A key from (workspace, `column`) to its server, following it when renamed or deleted."""
    return sa.ForeignKeyConstraint(
        ["workspace", column],
        ["mcp_servers.workspace", "mcp_servers.name"],
        name=name,
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
