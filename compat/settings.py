"""Reading settings from the environment into one sentence when a value will not do."""

import math
from collections.abc import Mapping

from compat.errors import TrackstoreError


def seconds_setting(name: str, env: Mapping[str, str], default: float) -> float:
    """The number of seconds the variable `name` holds, `default` when unset or empty."""
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise TrackstoreError(
            f"{name} is '{value}', not a number of seconds; set it to one such as 30, or unset "
            f"it for the default of {default:g}."
        )
    return seconds
