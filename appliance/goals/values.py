"""The value of a conversion read from a custom property: a JSON number, or a numeric string."""

from __future__ import annotations

import math

_NUMERIC = frozenset("0123456789+-.eE")


def numeric(raw: object) -> float | None:
    """A property value as a number: 12, 12.5 and "12.50" count; true, "", "12 EUR", "1_000",
    "inf" and "nan" do not (None). Surrounding spaces in a string are ignored."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or not set(text) <= _NUMERIC:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
