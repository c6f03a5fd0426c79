"""Schema pieces whose DDL differs by database, for head models that must match each one.

The models declare these once; which spelling a database gets is decided here, from the
dialect flags, when the DDL is compiled, so the store never names a database.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect as SQLAlchemyDialect
from sqlalchemy.types import TypeEngine

from compat.dialects import dialect_for


class LargeText(TypeDecorator[str]):
    """Text that holds documents over 64 KiB: TEXT, or `large_text_type()` where TEXT is small."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: SQLAlchemyDialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(dialect_for(dialect.name).large_text_type())


DdlCondition = Callable[..., bool]


def where_flag(flag: str) -> DdlCondition:
    """A `ddl_if(callable_=...)` condition: emit the element only where dialect `flag` is set."""

    def condition(*_args: Any, dialect: SQLAlchemyDialect, **_kwargs: Any) -> bool:
        return bool(getattr(dialect_for(dialect.name), flag))

    return condition
