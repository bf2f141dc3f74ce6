"""The service tests' PostgreSQL: one server per session, a database per module."""

from __future__ import annotations

from tests.pg import _pg_template, fresh_pg_url, pg_server, pg_url

__all__ = ["_pg_template", "fresh_pg_url", "pg_server", "pg_url"]
