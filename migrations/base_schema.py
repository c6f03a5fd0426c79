"""The tables an empty database gets before the first revision, as MLflow's base creates them."""

from sqlalchemy import MetaData

metadata = MetaData()
