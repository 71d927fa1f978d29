"""SalesOps pipeline: Excel sales exports → PostgreSQL warehouse → weekly reports → JSON API."""

__version__ = "0.1.0"
