"""Workspaces: experiments, the model registry, evaluation datasets, webhooks, secrets,
endpoints, model definitions and jobs each belong to one (every existing row to `default`),
names are unique within a workspace, and the `workspaces` table lists them.

The registry's primary keys, and the keys between its tables, gain the workspace. SQLite copies
each table whose keys change; elsewhere they are altered in place, every step skipping what is
done already, so that MySQL finishes the revision when it is run again after a failure.

Going down puts every row back in one namespace: it refuses while two workspaces hold the same
name (their rows would collide in the single keys), and forgets the workspaces otherwise.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

from compat import migration as step
from migrations import frozen_tables, lossy

revision = "1b5f0d9ad7c1"
down_revision = "c8d9e0f1a2b3"
branch_labels = None
depends_on = None

WORKSPACE = "workspace"
DEFAULT = "default"
DEFAULT_DESCRIPTION = "Default workspace for legacy resources"
# What 1bd49d398cd23 installs on secrets; a SQLite copy of the table loses it.
SECRETS_TRIGGER = "prevent_secrets_aad_mutation"
SECRETS_IMMUTABLE = ("secret_id", "secret_name")
SECRETS_REFUSAL = "secret_id and secret_name are immutable (used as AAD in encryption)"


@dataclass(frozen=True)
class Named:
    """A table whose names become unique per workspace. `old_index` is the unique index over
    `columns` before (None: a unique constraint the database named itself)."""

    table: str
    columns: tuple[str, ...]
    old_index: str | None
    unique: str


@dataclass(frozen=True)
class Keyed:
    """A registry table whose primary key leads with the workspace."""

    table: str
    primary_key: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Child(Keyed):
    """A registry table whose key to its `parent` (by `parent_columns`) leads with the
    workspace too. `old_foreign_key` is that key's name before (None: the database's)."""

    parent: str
    parent_columns: tuple[str, ...]
    foreign_key: str
    old_foreign_key: str | None = None
    ondelete: str | None = None


NAMED = (
    Named("experiments", ("name",), None, "uq_experiments_workspace_name"),
    Named("secrets", ("secret_name",), "unique_secret_name", "uq_secrets_workspace_secret_name"),
    Named("endpoints", ("name",), "unique_endpoint_name", "uq_endpoints_workspace_name"),
    Named(
        "model_definitions",
        ("name",),
        "unique_model_definition_name",
        "uq_model_definitions_workspace_name",
    ),
)
# Parents before children.
REGISTRY = (
    Keyed("registered_models", "registered_model_pk", ("name",)),
    Child(
        "model_versions",
        "model_version_pk",
        ("name", "version"),
        "registered_models",
        ("name",),
        "fk_model_versions_registered_models",
    ),
    Child(
        "registered_model_tags",
        "registered_model_tag_pk",
        ("key", "name"),
        "registered_models",
        ("name",),
        "fk_registered_model_tags_registered_models",
    ),
    Child(
        "model_version_tags",
        "model_version_tag_pk",
        ("key", "name", "version"),
        "model_versions",
        ("name", "version"),
        "fk_model_version_tags_model_versions",
    ),
    Child(
        "registered_model_aliases",
        "registered_model_alias_pk",
        ("name", "alias"),
        "registered_models",
        ("name",),
        "fk_registered_model_aliases_registered_models",
        "registered_model_alias_name_fkey",
        "CASCADE",
    ),
)
# Only gain the column.
PLAIN = ("evaluation_datasets", "webhooks")
JOBS_INDEX = "index_jobs_name_status_creation_time"
JOBS_COLUMNS = ("job_name", "status", "creation_time")
INDEXES = (
    ("idx_experiments_workspace", "experiments", ("workspace",)),
    ("idx_registered_models_workspace", "registered_models", ("workspace",)),
    ("idx_experiments_workspace_creation_time", "experiments", ("workspace", "creation_time")),
    ("idx_evaluation_datasets_workspace", "evaluation_datasets", ("workspace",)),
    ("idx_webhooks_workspace", "webhooks", ("workspace",)),
    ("idx_secrets_workspace", "secrets", ("workspace",)),
    ("idx_endpoints_workspace", "endpoints", ("workspace",)),
    ("idx_model_definitions_workspace", "model_definitions", ("workspace",)),
)


def _shared(table: str, columns: tuple[str, ...], what: str) -> lossy.Unique:
    return lossy.Unique(
        table,
        columns,
        identity=(WORKSPACE,),
        unfit_values=f"{what} that another workspace holds too",
    )


LOSSY_COLUMNS = (
    _shared("experiments", ("name",), "names of experiments"),
    _shared("registered_models", ("name",), "names of registered models"),
    _shared("model_versions", ("name", "version"), "names of model versions (with the version)"),
    _shared("registered_model_tags", ("name", "key"), "names of tagged models (with the key)"),
    _shared(
        "model_version_tags",
        ("name", "version", "key"),
        "names of tagged model versions (with the version and key)",
    ),
    _shared("registered_model_aliases", ("name", "alias"), "names of models (with the alias)"),
    _shared("secrets", ("secret_name",), "names of secrets"),
    _shared("endpoints", ("name",), "names of endpoints"),
    _shared("model_definitions", ("name",), "names of model definitions"),
)


def upgrade() -> None:
    if step.dialect().alters_by_copying_table:
        _copy_into_workspaces()
    else:
        _alter_into_workspaces()
    for table in PLAIN:
        step.add_column_once(table, _workspace())
    step.add_column_once("jobs", _workspace())
    step.recreate_index_once(JOBS_INDEX, "jobs", ("job_name", WORKSPACE, "status", "creation_time"))
    for index, table, columns in INDEXES:
        step.create_index_once(index, table, columns)
    step.create_table_once(
        "workspaces",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("default_artifact_root", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="workspaces_pk"),
    )
    _default_workspace_once()


def downgrade() -> None:
    lossy.check(LOSSY_COLUMNS)
    step.drop_table_if_present("workspaces")
    for index, table, _ in INDEXES:
        step.drop_index_if_present(index, table)
    if step.dialect().alters_by_copying_table:
        _copy_out_of_workspaces()
    else:
        _alter_out_of_workspaces()
    step.recreate_index_once(JOBS_INDEX, "jobs", JOBS_COLUMNS)
    for table in ("jobs", *PLAIN):
        step.drop_column_if_present(table, WORKSPACE)


def _workspace() -> sa.Column[str]:
    return sa.Column(WORKSPACE, sa.String(63), nullable=False, server_default=DEFAULT)


def _copy_into_workspaces() -> None:
    """One copy per table; keys the database left unnamed are named by the copy to drop them.
    Copying secrets drops its trigger, which is put back."""
    _copy_named()
    step.forbid_changes_once(SECRETS_TRIGGER, "secrets", SECRETS_IMMUTABLE, SECRETS_REFUSAL)
    for keyed in REGISTRY:
        _copy_keyed(keyed)


def _copy_named() -> None:
    for named in NAMED:
        before = _before(named.table)
        with step.altering(named.table, before, unnamed_uniques=named.old_index is None) as batch:
            if named.old_index is None:
                batch.drop_constraint(f"uq_{named.table}_{named.columns[0]}", type_="unique")
            else:
                batch.drop_index(named.old_index)
            batch.add_column(_workspace())
            batch.create_unique_constraint(named.unique, [WORKSPACE, *named.columns])


def _copy_keyed(keyed: Keyed) -> None:
    """registered_models loses its unique name (its primary key says as much); a child, its
    key to the parent, which comes back with the workspace."""
    before = _before(keyed.table)
    with step.altering(
        keyed.table, before, unnamed_foreign_keys=True, unnamed_uniques=True
    ) as batch:
        if not isinstance(keyed, Child):
            batch.drop_constraint(f"uq_{keyed.table}_name", type_="unique")
        else:
            old_name = keyed.old_foreign_key or f"fk_{keyed.table}_name_{keyed.parent}"
            batch.drop_constraint(old_name, type_="foreignkey")
        batch.add_column(_workspace())
        batch.drop_constraint(keyed.primary_key, type_="primary")
        batch.create_primary_key(keyed.primary_key, [WORKSPACE, *keyed.columns])
        if isinstance(keyed, Child):
            columns = [WORKSPACE, *keyed.parent_columns]
            batch.create_foreign_key(
                keyed.foreign_key,
                keyed.parent,
                columns,
                columns,
                onupdate="CASCADE",
                ondelete=keyed.ondelete,
            )


def _alter_into_workspaces() -> None:
    """In place; the keys into the registry's tables go first, since their parents' primary
    keys cannot change under them."""
    for named in NAMED:
        if named.old_index is None:
            step.drop_unnamed_unique(named.table, named.columns)
        else:
            step.drop_index_if_present(named.old_index, named.table)
        step.add_column_once(named.table, _workspace())
        step.create_unique_once(named.unique, named.table, [WORKSPACE, *named.columns])
    for keyed in _children():
        step.drop_foreign_key_to(
            keyed.table, keyed.parent, keyed.parent_columns, keyed.old_foreign_key
        )
    step.drop_unnamed_unique("registered_models", ("name",))
    for table in REGISTRY:
        step.add_column_once(table.table, _workspace())
        with step.altering(table.table) as batch:
            step.set_primary_key(batch, table.table, table.primary_key, [WORKSPACE, *table.columns])
    for keyed in _children():
        step.create_foreign_key_once(
            keyed.foreign_key,
            keyed.table,
            keyed.parent,
            [WORKSPACE, *keyed.parent_columns],
            onupdate="CASCADE",
            ondelete=keyed.ondelete,
        )


def _copy_out_of_workspaces() -> None:
    """Each table copied back into its shape before, unnamed keys and all."""
    for table in (*(n.table for n in NAMED), *(k.table for k in reversed(REGISTRY))):
        before = _before(table, conventional_names=False)
        before.append_column(_workspace())
        step.copy_without(before, [WORKSPACE])
    step.forbid_changes_once(SECRETS_TRIGGER, "secrets", SECRETS_IMMUTABLE, SECRETS_REFUSAL)


def _alter_out_of_workspaces() -> None:
    """In place; where a key needs an index (MySQL), the one the database made for a key that
    goes is dropped with it, or it would outlive the key without its workspace column."""
    for keyed in _children():
        step.drop_foreign_key_to(
            keyed.table, keyed.parent, [WORKSPACE, *keyed.parent_columns], None
        )
        if step.dialect().foreign_keys_need_index:
            step.drop_index_if_present(keyed.foreign_key, keyed.table)
    for table in REGISTRY:
        with step.altering(table.table) as batch:
            step.set_primary_key(batch, table.table, table.primary_key, table.columns)
        step.drop_column_if_present(table.table, WORKSPACE)
    if not step.dialect().drops_unique_repeating_primary_key:
        step.create_unique_once(None, "registered_models", ["name"])
    for keyed in _children():
        step.create_foreign_key_once(
            keyed.old_foreign_key,
            keyed.table,
            keyed.parent,
            keyed.parent_columns,
            onupdate="CASCADE",
            ondelete=keyed.ondelete,
        )
    _alter_named_out()


def _alter_named_out() -> None:
    for named in NAMED:
        step.drop_unique_if_present(named.unique, named.table)
        step.drop_column_if_present(named.table, WORKSPACE)
        if named.old_index is None:
            step.create_unique_once(None, named.table, named.columns)
        else:
            step.create_index_once(named.old_index, named.table, named.columns, unique=True)


def _children() -> list[Child]:
    return [keyed for keyed in REGISTRY if isinstance(keyed, Child)]


def _before(table: str, conventional_names: bool = True) -> sa.Table:
    return frozen_tables.before_workspaces(table, conventional_names)


def _default_workspace_once() -> None:
    """The workspace every existing row now belongs to."""
    workspaces = sa.table(
        "workspaces", sa.column("name", sa.String()), sa.column("description", sa.Text())
    )
    if not step.offline():
        found = op.get_bind().execute(
            sa.select(workspaces.c.name).where(workspaces.c.name == DEFAULT)
        )
        if found.first() is not None:
            return
    op.execute(workspaces.insert().values(name=DEFAULT, description=DEFAULT_DESCRIPTION))
