"""`salesops api-key create|list|revoke`: manage the keys of the reporting API."""

from __future__ import annotations

import argparse

from salesops_pipeline.api import keys
from salesops_pipeline.settings import Settings


def _create(args: argparse.Namespace, settings: Settings) -> int:
    key = keys.create_key(settings.warehouse_url(), name=args.name, role=args.role)
    print(f"created {args.role} API key {args.name!r}; it is shown only now, store it safely.")
    print("send it in the X-API-Key header. The key:")
    print(key)  # always the last line of stdout: scripts read it with `tail -n1`
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    rows = keys.list_keys(settings.warehouse_url())
    if not rows:
        print("no API keys yet (`salesops api-key create --role viewer --name NAME`)")
        return 0
    header = ("NAME", "ROLE", "PREFIX", "CREATED", "REVOKED")
    table = [header] + [
        (k.name, k.role, k.prefix, f"{k.created_at:%Y-%m-%d %H:%M:%S%z}",
         f"{k.revoked_at:%Y-%m-%d %H:%M:%S%z}" if k.revoked_at else "-")
        for k in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    when = keys.revoke_key(settings.warehouse_url(), args.name)
    print(f"revoked API key {args.name!r} at {when:%Y-%m-%d %H:%M:%S%z}; it no longer works")
    return 0


def register(verbs: argparse._SubParsersAction) -> None:
    """Add the `api-key` verb to the `salesops` command."""
    api_key = verbs.add_parser(
        "api-key", help="create, list or revoke keys of the reporting API",
        description="Manage the X-API-Key keys of the reporting API. Only a hash of each key is "
        "stored; a key is printed once, when it is created.")
    actions = api_key.add_subparsers(dest="api_key_verb", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a key and print it (last line of stdout)",
        description="Create a key with the given role and print it as the last line of stdout. "
        "viewer reads reports; admin also reads imports, quarantined rows, quality samples and "
        "fact lines. Names are unique and never reused; exit 1 when the name is taken or invalid "
        "(checked before a key is generated; never trimmed).")
    create.add_argument("--role", required=True, choices=keys.ROLES, help="what the key may read")
    create.add_argument("--name", required=True,
                        help="unique name (1-64 of A-Z a-z 0-9 . _ @ -), e.g. the consumer")
    create.set_defaults(func=_create)
    actions.add_parser(
        "list", help="list keys (names, roles, prefixes; never the keys)",
        description="List every key: name, role, public prefix, creation and revocation time."
    ).set_defaults(func=_list)
    revoke = actions.add_parser(
        "revoke", help="revoke a key by name (effective immediately)",
        description="Revoke the key NAME; the API refuses it from the next request on. "
        "Exit 1 when no active key has that name.")
    revoke.add_argument("name", metavar="NAME", help="name of the key to revoke")
    revoke.set_defaults(func=_revoke)
