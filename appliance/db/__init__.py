"""Storage: SQLite in WAL mode, one group-commit writer, read-only readers."""

from appliance.db.connection import open_connection, transaction
from appliance.db.database import Database

__all__ = ["Database", "open_connection", "transaction"]
