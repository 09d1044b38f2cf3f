"""``lms privacy purge [--dry-run] [--json]``: delete what the retention settings no longer keep (run it daily)."""

from __future__ import annotations

import json

import click
from flask_babel import gettext as _

from lms.exceptions import DomainError


@click.group("privacy")
def privacy_group() -> None:
    """Personal data: the retention of logs."""


@privacy_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted, deleting nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def purge_command(dry_run: bool, as_json: bool) -> None:
    """Run every retention purger (audit log, xAPI statements, ...) with the cutoff its setting gives."""
    from lms.cli import fail
    from lms.privacy.services import purge

    try:
        results = purge(dry_run=dry_run)
    except (DomainError, ValueError) as exc:
        fail(_("Retention settings: %(error)s", error=getattr(exc, "message", str(exc))))
    if as_json:
        rows = [
            {
                "key": r.policy.key,
                "setting": r.policy.setting,
                "days": r.policy.days,
                "cutoff": r.cutoff.isoformat() if r.cutoff else None,
                "count": r.count,
            }
            for r in results
        ]
        click.echo(json.dumps({"dry_run": dry_run, "purged": rows}))
        return
    for r in results:
        if r.cutoff is None:
            click.echo(_("%(key)s: kept forever (%(setting)s is not set)", key=r.policy.key, setting=r.policy.setting))
            continue
        values = {"key": r.policy.key, "n": r.count, "cutoff": f"{r.cutoff:%Y-%m-%d}", "days": r.policy.days}
        if dry_run:
            click.echo(_("%(key)s: %(n)d row(s) older than %(cutoff)s (%(days)d days) would be deleted", **values))
        else:
            click.echo(_("%(key)s: %(n)d row(s) older than %(cutoff)s (%(days)d days) deleted", **values))
    if dry_run:
        click.echo(_("Dry run: nothing was deleted."))
