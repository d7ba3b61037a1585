"""The only place with SQL: one aiosqlite connection, migrations, typed repositories."""

from storage.db import Database, StorageBusy, StorageError
from storage.repos import Repositories

__all__ = ["Database", "Repositories", "StorageBusy", "StorageError"]
