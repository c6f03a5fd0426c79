"""The schema the store serves, apart from its models: commands name its revision in their
help, and upgrade towards it, without loading the models (which import the ORM and every
table) unless they create or verify that schema."""

from migrations.chain import Models, ServedSchema

# MLflow 3.18.0's head: the one `trackstore db upgrade` goes to by default, and the only one
# the guard serves. The models in store.models describe this revision.
REVISION = "f4a9b2c7d1e6"


def _models() -> Models:
    from store import models

    return models.metadata, models.create_all


# What migrations need to create, upgrade to and verify the schema this store serves.
SERVED = ServedSchema(REVISION, _models)
