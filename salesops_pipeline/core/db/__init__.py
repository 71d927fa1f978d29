"""Database: connections, schema, roles and the local (embedded) PostgreSQL cluster."""
