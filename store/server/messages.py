"""Reading a request's parameters the way MLflow's protobuf messages define them.

POST, PATCH and DELETE requests carry a JSON object; GET requests carry the same fields in the
query string, where a repeated field appears once per value. Every accessor checks the type and
answers a wrong or missing value with INVALID_PARAMETER_VALUE, in MLflow's words
(store.common.errors), naming a nested field by its path as MLflow does (`metrics[0].timestamp`).
"""

import math
import re
from collections.abc import Mapping
from typing import Any, overload

from store.common.errors import API_DOCS, StoreError, invalid_value, missing_value, refused

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_TRUE = ("true", "1")
# The range of protobuf's int64, the widest integer field of MLflow's messages.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_FALSE = ("false", "0")


class Message:
    """One request's fields: from the JSON body or the query string, plus path parameters."""

    def __init__(
        self,
        fields: Mapping[str, Any],
        from_query: bool = False,
        nul_allowed: bool = True,
        path: str = "",
    ) -> None:
        self._fields = fields
        self._from_query = from_query
        # False where the database cannot store the NUL character (see text_holds_nul).
        self._nul_allowed = nul_allowed
        # Where this message sits in the request ("metrics[0]."), for messages naming a field.
        self._path = path

    def path(self, name: str) -> str:
        """The field's path in the request, as messages name it."""
        return self._path + name

    def missing(self, name: str) -> StoreError:
        return missing_value(self.path(name))

    def refused(self, name: str, value: Any, expected: str) -> StoreError:
        return refused(self.path(name), value, expected)

    @overload
    def text(self, name: str) -> str | None: ...
    @overload
    def text(self, name: str, default: str) -> str: ...
    def text(self, name: str, default: str | None = None) -> str | None:
        value = self._raw(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.refused(name, value, "a string")
        self._check_nul(name, value)
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None or value == "":
            raise self.missing(name)
        return value

    @overload
    def integer(self, name: str) -> int | None: ...
    @overload
    def integer(self, name: str, default: int) -> int: ...
    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            raise self.refused(name, value, "a whole number")
        number = _whole(value) if isinstance(value, (int, str)) else None
        if number is None:
            raise self.refused(name, value, "a whole number")
        if not INT64_MIN <= number <= INT64_MAX:
            raise self.refused(name, value, "a whole number that fits in 64 bits")
        return number

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise self.missing(name)
        return value

    def number(self, name: str) -> float:
        """A double; JSON carries NaN and the infinities as the strings protobuf uses."""
        value = self._raw(name)
        if value is None:
            raise self.missing(name)
        number = to_float(value)
        if number is None:
            raise self.refused(name, value, "a number")
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        raise self.refused(name, value, "true or false")

    def enum(self, name: str, numbers: Mapping[str, int]) -> str | None:
        """An enum value by name; protobuf's JSON may also carry the number."""
        value = self._raw(name)
        if value is None:
            return None
        if isinstance(value, str) and value in numbers:
            return value
        number = value if isinstance(value, int) else _whole(value)
        for label, candidate in numbers.items():
            if candidate == number:
                return label
        raise self.refused(name, value, "one of " + ", ".join(numbers))

    def texts(self, name: str) -> list[str]:
        """A repeated string field; absent means empty."""
        values = self._list(name)
        for value in values:
            if not isinstance(value, str):
                raise self.refused(name, value, "a list of strings")
            self._check_nul(name, value)
        return values

    def required_texts(self, name: str) -> list[str]:
        """A repeated string field that must hold at least one value."""
        values = self.texts(name)
        if not values:
            raise self.missing(name)
        return values

    def objects(self, name: str) -> list["Message"]:
        """A repeated message field, each element readable as a Message of its own."""
        values = self._list(name)
        for value in values:
            if not isinstance(value, dict):
                raise self.refused(name, value, "a list of objects")
        return [
            Message(value, nul_allowed=self._nul_allowed, path=f"{self.path(name)}[{index}].")
            for index, value in enumerate(values)
        ]

    def object(self, name: str) -> "Message | None":
        value = self._raw(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.refused(name, value, "an object")
        return Message(value, nul_allowed=self._nul_allowed, path=f"{self.path(name)}.")

    def run_id(self) -> str:
        """The run id, which older clients send as `run_uuid`; named `run_id` when missing."""
        run_id = self.text("run_id") or self.text("run_uuid")
        if not run_id:
            raise self.missing("run_id")
        return run_id

    def bounded_integer(self, name: str, maximum: int) -> int | None:
        """An integer field that MLflow's server caps before its store sees it (a page size)."""
        number = self.integer(name)
        if number is not None and number > maximum:
            raise self.refused(name, self._raw(name), f"at most {maximum}")
        return number

    def document(self, name: str) -> dict[str, Any]:
        """A nested message as plain JSON, for stores that read MLflow's message shapes whole."""
        value = self._raw(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.refused(name, value, "a JSON object")
        return value

    def field_mask(self, name: str) -> list[str]:
        """A FieldMask's paths: protobuf's JSON writes them as one comma-separated string of
        camelCase names; a {"paths": [...]} object is read too."""
        value = self._raw(name)
        if isinstance(value, dict):
            value = value.get("paths") or []
        if isinstance(value, str):
            value = [path for path in value.split(",") if path]
        if not isinstance(value, list):
            raise self.refused(name, value, "a field mask")
        return [re.sub(r"(?<!^)(?=[A-Z])", "_", str(path)).lower() for path in value]

    def raw(self, name: str) -> Any:
        """The field as sent, unchecked: for requests MLflow reads leniently, where a value of
        the wrong shape counts as absent rather than as an error."""
        return self._raw(name)

    def _check_nul(self, name: str, value: str) -> None:
        if not self._nul_allowed and "\x00" in value:
            raise invalid_value(
                self.path(name),
                value,
                "this database cannot hold NUL (0x00) characters; remove them from the text.",
            )

    def _raw(self, name: str) -> Any:
        value = self._fields.get(name)
        if self._from_query and isinstance(value, list):
            return value[0] if value else None
        return value

    def _list(self, name: str) -> list[Any]:
        value = self._fields.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.refused(name, value, "a list")
        return value


def to_float(value: Any) -> float | None:
    """A JSON number, or the text of one, as a double; None for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        if value in _NON_FINITE:
            return _NON_FINITE[value]
        try:
            return float(value)
        except ValueError:
            pass
    return None


def _whole(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def schema_refusal(sentence: str) -> StoreError:
    """A request MLflow's parameter checks refuse: its sentence, then its pointer to the docs."""
    return StoreError(f"{sentence}{API_DOCS}")
