"""The first step: bytes, forms and query strings into typed bodies and hits, or `Dropped(invalid)`.

Decoders are made once: msgspec validates while it parses, which is most of the speed of the
tracking endpoints. Error messages name the field, as `/analytics` answers them.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec

from appliance.ingest.models import (
    Dropped,
    EventBody,
    HeartbeatBody,
    Hit,
    KeyedTrackBody,
    LeaveBody,
    Origin,
    Reason,
    TrackBody,
)

B = TypeVar("B", bound=msgspec.Struct)

_AT = re.compile(r"^(.*?) - at `\$\.?([^`]*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_KINDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "object": "an object",
    "int | str": "an integer or a string",
    "bool | int | float | str | null": "a string, number, boolean or null",
}

_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {
    body: msgspec.json.Decoder(body)
    for body in (TrackBody, KeyedTrackBody, EventBody, HeartbeatBody, LeaveBody)
}


def Malformed(message: str) -> Dropped:
    """The request cannot be read; the message says why, for a JSON route's answer."""
    return Dropped(Reason.INVALID, message)


def describe(error: msgspec.ValidationError) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.screen_width`" as a sentence about the field."""
    text = str(error)
    if missing := _MISSING.search(text):
        return f"The {missing.group(1)} field is required."
    if unknown := re.match(r"Object contains unknown field `([^`]+)`", text):
        return f"The {unknown.group(1)} field is not allowed."
    match = _AT.match(text)
    if not match:
        return "The request body must be a JSON object." if "Expected `object`" in text else f"{text}."
    problem, where = match.groups()
    field = re.sub(r"\[[^\]]*\]$", "", where) or "body"
    if expected := re.match(r"Expected `([^`]+)`(?:, got `[^`]+`)?$", problem):
        kind = expected.group(1)
        kind = kind if kind in _KINDS else kind.removesuffix(" | null")
        return f"The {field} field must be {_KINDS.get(kind, kind)}."
    return f"The {field} field is invalid: {problem[0].lower()}{problem[1:]}."


def decode(body: type[B], raw: bytes) -> B:
    """A JSON body of the given type, or Malformed."""
    if not raw.strip():
        raise Malformed("The request body must be a JSON object.")
    try:
        decoded: B = _decoders[body].decode(raw)
    except msgspec.ValidationError as exc:
        raise Malformed(describe(exc)) from None
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise Malformed("The request body must be valid JSON (UTF-8).") from None
    return decoded


def decode_form(raw: bytes) -> KeyedTrackBody:
    """A form-encoded body (`application/x-www-form-urlencoded`) with the JSON body's field names."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("The request body must be UTF-8.") from None
    fields: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=False, errors="replace"))
    try:
        return msgspec.convert(fields, KeyedTrackBody, strict=False)
    except msgspec.ValidationError as exc:
        raise Malformed(describe(exc)) from None


def pixel_query(query: str) -> TrackBody:
    """`GET /analytics/pixel?key=&p=&t=&r=`: other parameters (cache busters) are ignored."""
    params = dict(parse_qsl(query, keep_blank_values=False, errors="replace"))
    key = params.get("key")
    if not key:
        raise Malformed("The key field is required.")
    return TrackBody(key=key, path=params.get("p"), title=params.get("t"), referrer=params.get("r"))


def hit_from_body(body: TrackBody | KeyedTrackBody, key: str, origin: Origin) -> Hit:
    """A pageview or event of `/analytics/track` (JSON or form) or the pixel."""
    if body.type == "event":
        if not body.name:
            raise Malformed("The name field is required when type is event.")
    elif body.name is not None:
        raise Malformed("The name field is allowed only when type is event.")
    return Hit(
        key=key,
        kind=1 if body.type == "event" else 0,
        origin=origin,
        ts=origin.received,
        visitor_id=body.visitor_id,
        session_id=body.session_id,
        path=body.path,
        title=body.title,
        referrer=body.referrer,
        utm_source=body.utm_source,
        utm_medium=body.utm_medium,
        utm_campaign=body.utm_campaign,
        utm_content=body.utm_content,
        utm_term=body.utm_term,
        screen_width=body.screen_width,
        screen_height=body.screen_height,
        language=body.language,
        name=body.name,
        properties=body.properties,
        timestamp=body.timestamp,
        ip=origin.ip,
        user_agent=origin.user_agent,
        given_ip=body.ip,
        given_user_agent=body.user_agent,
    )


def hit_from_event(body: EventBody, origin: Origin) -> Hit:
    """A custom event of `/analytics/event`."""
    return Hit(
        key=body.key,
        kind=1,
        origin=origin,
        ts=origin.received,
        visitor_id=body.visitor_id,
        session_id=body.session_id,
        path=body.path,
        name=body.name,
        properties=body.properties,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )
