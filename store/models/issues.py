"""Issues found in an experiment's traces (not served by trackstore), and their categories."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from compat.schema_types import LongestText
from store.models.base import KEY_LENGTH, RUN_ID_LENGTH, USER_LENGTH, UUID_LENGTH, Base


class Issue(Base):
    __tablename__ = "issues"

    issue_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    experiment_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("experiments.experiment_id", name="fk_issues_experiment_id", ondelete="CASCADE"),
    )
    name: Mapped[str] = mapped_column(String(KEY_LENGTH))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str | None] = mapped_column(String(50))
    # JSON lists, kept as text.
    root_causes: Mapped[str | None] = mapped_column(Text)
    source_run_id: Mapped[str | None] = mapped_column(
        String(RUN_ID_LENGTH),
        ForeignKey("runs.run_uuid", name="fk_issues_source_run_id", ondelete="SET NULL"),
    )
    categories: Mapped[str | None] = mapped_column(Text)
    created_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_seen_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    issue_metadata: Mapped[str | None] = mapped_column("metadata", LongestText)

    __table_args__ = (
        PrimaryKeyConstraint("issue_id", name="issues_pk"),
        Index("index_issues_experiment_id", "experiment_id"),
        Index("index_issues_source_run_id", "source_run_id"),
        Index("index_issues_status", "status"),
        Index("index_issues_experiment_updated", "experiment_id", "last_updated_timestamp"),
        Index("index_issues_experiment_last_seen", "experiment_id", "last_seen_timestamp"),
    )


class IssueCategory(Base):
    """A category of an issue, keyed by the hash of its text (which may be long)."""

    __tablename__ = "issue_categories"

    issue_id: Mapped[str] = mapped_column(
        String(UUID_LENGTH),
        ForeignKey("issues.issue_id", name="fk_issue_categories_issue_id", ondelete="CASCADE"),
    )
    category_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("issue_id", "category_hash", name="issue_categories_pk"),
        Index("index_issue_categories_hash", "category_hash"),
    )
