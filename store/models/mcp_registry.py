"""MLflow's registry of MCP servers (not served by trackstore): servers, their versions,
aliases and tags, and the endpoints through which they are reached."""

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import CaseSensitiveString
from store.models.base import KEY_LENGTH, UUID_LENGTH, Base, workspace_column

NAME_LENGTH = 256
USER_NAME_LENGTH = 256
# A version is a semantic version, whose case matters, so it compares case-sensitively
# everywhere (and, for foreign keys, with the same collation in every table).
VERSION = CaseSensitiveString(128)


def _under_server(
    *columns: str, name: str, target: str = "mcp_servers", keys: tuple[str, ...] = ()
) -> ForeignKeyConstraint:
    """A reference to a server (or to one of its versions), following renames and deletes."""
    referred = keys or ("workspace", "name")
    return ForeignKeyConstraint(
        list(columns),
        [f"{target}.{key}" for key in referred],
        name=name,
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


class MCPServer(Base):
    __tablename__ = "mcp_servers"

    workspace: Mapped[str] = workspace_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    display_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    icons: Mapped[object | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("workspace", "name", name="mcp_servers_pk"),)


class MCPServerVersion(Base):
    __tablename__ = "mcp_server_versions"

    workspace: Mapped[str] = workspace_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    version: Mapped[str] = mapped_column(VERSION)
    # The version's parts as numbers, so "the latest" is an index scan.
    version_major: Mapped[int] = mapped_column(Integer)
    version_minor: Mapped[int] = mapped_column(Integer)
    version_patch: Mapped[int] = mapped_column(Integer)
    version_prerelease_sort_key: Mapped[str] = mapped_column(String(512))
    server_json: Mapped[object] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), server_default="draft")
    tools: Mapped[object | None] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(512))
    connect_options: Mapped[object | None] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "name", "version", name="mcp_server_versions_pk"),
        _under_server("workspace", "name", name="mcp_server_versions_server_fkey"),
    )


_versions = MCPServerVersion.__table__.c
# Newest version first, so "the latest of a server" is the first entry of its range.
Index(
    "idx_mcp_server_versions_latest",
    _versions.workspace,
    _versions.name,
    _versions.status,
    _versions.version_major.desc(),
    _versions.version_minor.desc(),
    _versions.version_patch.desc(),
)


class MCPServerAlias(Base):
    __tablename__ = "mcp_server_aliases"

    workspace: Mapped[str] = workspace_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    alias: Mapped[str] = mapped_column(String(NAME_LENGTH))
    version: Mapped[str] = mapped_column(VERSION)

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "name", "alias", name="mcp_server_aliases_pk"),
        _under_server("workspace", "name", name="mcp_server_aliases_server_fkey"),
    )


class MCPServerTag(Base):
    __tablename__ = "mcp_server_tags"

    workspace: Mapped[str] = workspace_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(5000))

    __table_args__ = (
        PrimaryKeyConstraint("workspace", "name", "key", name="mcp_server_tags_pk"),
        _under_server("workspace", "name", name="mcp_server_tags_server_fkey"),
    )


class MCPServerVersionTag(Base):
    __tablename__ = "mcp_server_version_tags"

    workspace: Mapped[str] = workspace_column()
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    version: Mapped[str] = mapped_column(VERSION)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    value: Mapped[str | None] = mapped_column(String(5000))

    __table_args__ = (
        PrimaryKeyConstraint(
            "workspace", "name", "version", "key", name="mcp_server_version_tags_pk"
        ),
        _under_server(
            "workspace",
            "name",
            "version",
            name="mcp_server_version_tags_version_fkey",
            target="mcp_server_versions",
            keys=("workspace", "name", "version"),
        ),
    )


class MCPAccessEndpoint(Base):
    """Where a server (a version or an alias of it, or its latest) is reached."""

    __tablename__ = "mcp_access_endpoints"

    id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    workspace: Mapped[str] = workspace_column()
    server_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    server_version: Mapped[str | None] = mapped_column(VERSION)
    server_alias: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    url: Mapped[str] = mapped_column(String(2048))
    transport_type: Mapped[str] = mapped_column(String(32), server_default="streamable-http")
    created_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint("id", name="mcp_access_endpoints_pk"),
        _under_server("workspace", "server_name", name="mcp_access_endpoints_server_fkey"),
        Index("ix_mcp_access_endpoints_server_name", "workspace", "server_name"),
        Index("ix_mcp_access_endpoints_version", "workspace", "server_name", "server_version"),
        Index("ix_mcp_access_endpoints_alias", "workspace", "server_name", "server_alias"),
    )
