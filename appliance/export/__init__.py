"""Exports of a site's raw data (pageviews, visitors, events, goal conversions, sessions) as CSV
or JSON, streamed page by page so that memory stays flat however many rows are asked for.

`tables` reads each kind of row in keyset pages; `encode` turns pages into CSV or JSON text,
guarding spreadsheet cells against formula injection; `exports.prepare` checks a request and
puts the two together. The columns of each kind are documented in docs/EXPORT.md.
"""
