"""Almanac: a self-hosted web analytics appliance."""

__version__ = "0.1.0"
