"""Spec 004: the `/analytics` surface with `{"ok": false, "error", "code"}` errors."""
