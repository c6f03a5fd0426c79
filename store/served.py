"""The revision the store serves, apart from its models: commands name it in their help and
compare with it without loading the models (which import the ORM and every table)."""

# MLflow 3.18.0's head: the one `trackstore db upgrade` goes to by default, and the only one
# the guard serves. The models in store.models describe this revision.
REVISION = "f4a9b2c7d1e6"
