"""Rules the AI gateway applies to its traffic (not served by trackstore): budgets and
guardrails."""

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import USER_LENGTH, UUID_LENGTH, Base, workspace_column
from store.models.gateway import NAME_LENGTH, endpoint_id_column

CHOICE_LENGTH = 32


class BudgetPolicy(Base):
    __tablename__ = "budget_policies"

    budget_policy_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    budget_unit: Mapped[str] = mapped_column(String(CHOICE_LENGTH))
    # Single precision where the database has it (MySQL's FLOAT), as MLflow declares it.
    budget_amount: Mapped[float] = mapped_column(Float)
    duration_unit: Mapped[str] = mapped_column(String(CHOICE_LENGTH))
    duration_value: Mapped[int] = mapped_column(Integer)
    target_scope: Mapped[str] = mapped_column(String(CHOICE_LENGTH))
    budget_action: Mapped[str] = mapped_column(String(CHOICE_LENGTH))
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_at: Mapped[int] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()
    target_value: Mapped[str | None] = mapped_column(String(NAME_LENGTH))

    __table_args__ = (
        PrimaryKeyConstraint("budget_policy_id", name="budget_policies_pk"),
        Index("idx_budget_policies_workspace", "workspace"),
        Index("idx_budget_policies_target_value", "target_value"),
    )


class Guardrail(Base):
    """A scorer version run on an endpoint's traffic at one stage, with what to do on failure."""

    __tablename__ = "guardrails"

    guardrail_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    scorer_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    scorer_version: Mapped[int] = mapped_column(Integer, autoincrement=False)
    stage: Mapped[str] = mapped_column(String(CHOICE_LENGTH))
    action: Mapped[str] = mapped_column(String(CHOICE_LENGTH))
    action_endpoint_id: Mapped[str | None] = endpoint_id_column(
        __tablename__, "action_endpoint_id", ondelete="SET NULL"
    )
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_updated_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    last_updated_at: Mapped[int] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("guardrail_id", name="guardrails_pk"),
        ForeignKeyConstraint(
            ["scorer_id", "scorer_version"],
            ["scorer_versions.scorer_id", "scorer_versions.scorer_version"],
            name="fk_guardrails_scorer_version",
        ),
        Index("idx_guardrails_scorer", "scorer_id", "scorer_version"),
        Index("idx_guardrails_workspace", "workspace"),
    )


class GuardrailConfig(Base):
    """A guardrail attached to an endpoint, in its place in the endpoint's order."""

    __tablename__ = "guardrail_configs"

    endpoint_id: Mapped[str] = endpoint_id_column(__tablename__)
    guardrail_id: Mapped[str] = mapped_column(
        String(UUID_LENGTH),
        ForeignKey(
            "guardrails.guardrail_id", name="fk_guardrail_configs_guardrail_id", ondelete="CASCADE"
        ),
    )
    execution_order: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(USER_LENGTH))
    created_at: Mapped[int] = mapped_column(BigInteger)
    workspace: Mapped[str] = workspace_column()

    __table_args__ = (
        PrimaryKeyConstraint("endpoint_id", "guardrail_id", name="guardrail_configs_pk"),
        Index("idx_guardrail_configs_endpoint_id", "endpoint_id"),
        Index("idx_guardrail_configs_guardrail_id", "guardrail_id"),
    )
