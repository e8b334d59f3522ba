"""Spec 000: the `/api` surface with Laravel-style errors."""
