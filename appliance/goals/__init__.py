"""Goals and their conversions, computed at query time from the raw events and sessions.

A goal is one of four types: `pageview` (a pageview whose path matches), `event` (a custom
event whose name matches), `duration` (a session that lasted at least `threshold` seconds) and
`pages_per_session` (a session with at least `threshold` pageviews). Paths and names match by
`equals`, `contains`, `starts_with`, `ends_with` (all case-sensitive) or `regex` (RE2 syntax,
searched anywhere in the text unless anchored; never Python's backtracking engine).

See `conversions` for what counts as a conversion, and docs/GOALS.md for the whole story.
"""
