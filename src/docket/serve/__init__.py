"""Browsing a log in Datasette (`docket serve`, the `serve` extra): the descriptions of its
tables and columns (`docs`), Datasette's metadata and a read-only server (`server`)."""

from __future__ import annotations

from .server import (DATASETTE_FLOOR, HIDDEN_TABLES, Server, ServeUnavailable, metadata,
                     prepare_server, require_datasette)

__all__ = ["ServeUnavailable", "require_datasette", "metadata", "prepare_server", "Server",
           "HIDDEN_TABLES", "DATASETTE_FLOOR"]
