"""Alembic's entry point: runs the revision scripts on the connection the runner hands over.

Online, `config.attributes["connection"]` is always set by `migrations.runner`; offline (--sql),
`config.attributes["dialect"]` names the database whose SQL is written.
"""

from alembic import context
from sqlalchemy.schema import CreateTable

from compat import dialect_for
from migrations import base_schema
from migrations.progress import on_version_apply
from migrations.revision_meters import metered

config = context.config
render_as_batch = bool(config.attributes.get("render_as_batch", False))
report = on_version_apply(config.attributes.get("progress"))

if context.is_offline_mode():
    context.configure(
        dialect_name=config.attributes["dialect"],
        dialect_opts=dict(dialect_for(config.attributes["dialect"]).offline_options),
        literal_binds=True,
        render_as_batch=render_as_batch,
        transaction_per_migration=True,
        on_version_apply=report,
    )
    with context.begin_transaction():
        if config.attributes.get("include_base"):
            for table in base_schema.metadata.sorted_tables:
                context.execute(CreateTable(table))
        context.run_migrations()
else:
    connection = config.attributes["connection"]
    progress = config.attributes.get("progress")
    with metered(
        progress, connection, context.get_revision_argument(), report
    ) as after_each_revision:
        context.configure(
            connection=connection,
            render_as_batch=render_as_batch,
            # Alembic takes SQLite's DDL for non-transactional; compat's SQLite begins real
            # transactions, so the runner's word decides (see `runner._run`).
            transactional_ddl=config.attributes["one_transaction"],
            transaction_per_migration=not config.attributes["one_transaction"],
            on_version_apply=after_each_revision,
        )
        with context.begin_transaction():
            context.run_migrations()
