"""MLflow's registry of agent skills (not served by trackstore): skills within an
organization, their versions, aliases and tags."""

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

from compat.schema_types import CaseSensitiveString, LargeUnicodeText
from store.models.base import KEY_LENGTH, Base, workspace_column

SKILL_KEY = ("workspace", "organization", "name")
USER_NAME_LENGTH = 256
LOCATION_LENGTH = 2048
# Tags are looked up by exact key, so a key compares case-sensitively everywhere.
TAG_KEY = CaseSensitiveString(KEY_LENGTH)


def _organization() -> Mapped[str]:
    """The organization a skill is published under; '' when it has none."""
    return mapped_column(String(64), server_default="")


def _name() -> Mapped[str]:
    return mapped_column(String(128))


def _under(target: str, name: str, *extra: str) -> ForeignKeyConstraint:
    """A reference to a skill (or a version of it), following renames and deletes."""
    columns = [*SKILL_KEY, *extra]
    return ForeignKeyConstraint(
        columns,
        [f"{target}.{column}" for column in columns],
        name=name,
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


class Skill(Base):
    __tablename__ = "skills"

    workspace: Mapped[str] = workspace_column()
    organization: Mapped[str] = _organization()
    name: Mapped[str] = _name()
    description: Mapped[str | None] = mapped_column(Text)
    icons: Mapped[object | None] = mapped_column(JSON)
    search_text: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint(*SKILL_KEY, name="skills_pk"),)


class SkillVersion(Base):
    __tablename__ = "skill_versions"

    workspace: Mapped[str] = workspace_column()
    organization: Mapped[str] = _organization()
    name: Mapped[str] = _name()
    version: Mapped[int] = mapped_column(Integer, autoincrement=False)
    source_type: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(LOCATION_LENGTH))
    ref: Mapped[str | None] = mapped_column(String(LOCATION_LENGTH))
    subpath: Mapped[str | None] = mapped_column(String(LOCATION_LENGTH))
    digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    created_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_NAME_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        PrimaryKeyConstraint(*SKILL_KEY, "version", name="skill_versions_pk"),
        _under("skills", "skill_versions_skill_fkey"),
        Index("ix_skill_versions_latest_lookup", *SKILL_KEY, "status", "version"),
        Index("ix_skill_versions_digest", *SKILL_KEY, "digest"),
    )


class SkillAlias(Base):
    __tablename__ = "skill_aliases"

    workspace: Mapped[str] = workspace_column()
    organization: Mapped[str] = _organization()
    name: Mapped[str] = _name()
    alias: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer, autoincrement=False)

    __table_args__ = (
        PrimaryKeyConstraint(*SKILL_KEY, "alias", name="skill_aliases_pk"),
        _under("skills", "skill_aliases_skill_fkey"),
    )


class SkillTag(Base):
    __tablename__ = "skill_tags"

    workspace: Mapped[str] = workspace_column()
    organization: Mapped[str] = _organization()
    name: Mapped[str] = _name()
    key: Mapped[str] = mapped_column(TAG_KEY)
    value: Mapped[str | None] = mapped_column(LargeUnicodeText)

    __table_args__ = (
        PrimaryKeyConstraint(*SKILL_KEY, "key", name="skill_tags_pk"),
        _under("skills", "skill_tags_skill_fkey"),
    )


class SkillVersionTag(Base):
    __tablename__ = "skill_version_tags"

    workspace: Mapped[str] = workspace_column()
    organization: Mapped[str] = _organization()
    name: Mapped[str] = _name()
    version: Mapped[int] = mapped_column(Integer, autoincrement=False)
    key: Mapped[str] = mapped_column(TAG_KEY)
    value: Mapped[str | None] = mapped_column(LargeUnicodeText)

    __table_args__ = (
        PrimaryKeyConstraint(*SKILL_KEY, "version", "key", name="skill_version_tags_pk"),
        _under("skill_versions", "skill_version_tags_version_fkey", "version"),
    )
