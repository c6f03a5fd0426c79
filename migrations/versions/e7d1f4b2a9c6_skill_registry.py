"""The skill registry: skills, their versions, tags, version tags and aliases."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from compat import migration as step

revision = "e7d1f4b2a9c6"
down_revision = "dc11669786a5"
branch_labels = None
depends_on = None

SKILL = ("workspace", "organization", "name")
VERSION = (*SKILL, "version")
# Children before parents, the order they are dropped in.
TABLES = ("skill_aliases", "skill_version_tags", "skill_tags", "skill_versions", "skills")


def upgrade() -> None:
    step.create_table_once(
        "skills",
        *_skill_columns(),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("icons", step.json_type(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=True),
        *_audit_columns(),
        sa.PrimaryKeyConstraint(*SKILL, name="skills_pk"),
    )
    step.create_table_once(
        "skill_versions",
        *_skill_columns(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(20), nullable=True),
        sa.Column("source", sa.String(2048), nullable=True),
        sa.Column("ref", sa.String(2048), nullable=True),
        sa.Column("subpath", sa.String(2048), nullable=True),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'")),
        *_audit_columns(),
        _parent_key("skills", SKILL, "skill_versions_skill_fkey"),
        sa.PrimaryKeyConstraint(*VERSION, name="skill_versions_pk"),
    )
    step.create_table_once(
        "skill_tags",
        *_skill_columns(),
        *_tag_columns(),
        _parent_key("skills", SKILL, "skill_tags_skill_fkey"),
        sa.PrimaryKeyConstraint(*SKILL, "key", name="skill_tags_pk"),
    )
    step.create_table_once(
        "skill_version_tags",
        *_skill_columns(),
        sa.Column("version", sa.Integer(), nullable=False),
        *_tag_columns(),
        _parent_key("skill_versions", VERSION, "skill_version_tags_version_fkey"),
        sa.PrimaryKeyConstraint(*VERSION, "key", name="skill_version_tags_pk"),
    )
    step.create_table_once(
        "skill_aliases",
        *_skill_columns(),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _parent_key("skills", SKILL, "skill_aliases_skill_fkey"),
        sa.PrimaryKeyConstraint(*SKILL, "alias", name="skill_aliases_pk"),
    )
    step.create_index_once(
        "ix_skill_versions_latest_lookup", "skill_versions", [*SKILL, "status", "version"]
    )
    step.create_index_once("ix_skill_versions_digest", "skill_versions", [*SKILL, "digest"])


def downgrade() -> None:
    """Each table's indexes go with it."""
    for table in TABLES:
        step.drop_table_if_present(table)


def _skill_columns() -> list[sa.Column[str]]:
    """What names a skill: its workspace, its organization ('' for none) and its name."""
    return [
        sa.Column("workspace", sa.String(63), nullable=False, server_default=sa.text("'default'")),
        sa.Column("organization", sa.String(64), nullable=False, server_default=sa.text("''")),
        sa.Column("name", sa.String(128), nullable=False),
    ]


def _audit_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_by", sa.String(256), nullable=True),
        sa.Column("last_updated_by", sa.String(256), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_at", sa.BigInteger(), nullable=False),
    ]


def _tag_columns() -> list[sa.Column[str]]:
    """Tag keys differ by case alone; values run long and in any script."""
    return [
        sa.Column("key", step.case_sensitive_string(250), nullable=False),
        sa.Column("value", step.unicode_text(), nullable=True),
    ]


def _parent_key(parent: str, columns: Sequence[str], name: str) -> sa.ForeignKeyConstraint:
    """A child row follows its parent's renames and goes with it."""
    return sa.ForeignKeyConstraint(
        list(columns),
        [f"{parent}.{column}" for column in columns],
        name=name,
        ondelete="CASCADE",
        onupdate="CASCADE",
    )
