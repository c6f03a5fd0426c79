"""Workspaces: the catalog of names that workspace-scoped rows point at.

trackstore serves only the 'default' workspace; the table is kept so the schema is MLflow's.
"""

from sqlalchemy import PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import WORKSPACE_LENGTH, Base


class Workspace(Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(WORKSPACE_LENGTH))
    description: Mapped[str | None] = mapped_column(Text)
    default_artifact_root: Mapped[str | None] = mapped_column(Text)
    trace_archival_location: Mapped[str | None] = mapped_column(Text)
    trace_archival_retention: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (PrimaryKeyConstraint("name", name="workspaces_pk"),)
