"""Sending the outbox to an academy's LRS: ``POST {endpoint}/statements`` in batches, basic auth, xAPI 1.0.3.

What each answer does to the statements of a batch:
- 2xx: sent (``sent_at`` noted; the row with its payload is the record of what was sent);
- 409 Conflict: the LRS already holds a statement with that id (ids are deterministic, so this is a re-send): a
  batch is retried one by one, and a single statement answered 409 counts as sent;
- 400, 413, 422: the LRS refuses what it was given: a batch is retried one by one, and a single statement
  refused is ``failed`` (no retry would change it; the page shows the error) while the others go through;
- anything else (no connection, a time-out, 401/403, 404, 429, 5xx): the LRS or its settings fail, not the
  statement: the batch stays pending with one more attempt and the error, and :class:`PushError` is raised so
  the job system tries again later. Nothing is lost.

urllib (the standard library) is the transport; redirects are not followed, so the credentials go only to the
address the registrar entered.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.extensions import db
from lms.models.base import utcnow
from records.xapi import statements as xs
from records.xapi.models import LrsSettings, PasswordUnreadableError, StatementState, XapiStatement

ERROR_LENGTH = 500
REFUSED = (400, 413, 422)


class PushError(Exception):
    """The LRS could not be reached or refused the push; the statements stay pending."""


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer at all (connection refused, time-out, bad address)
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _headers(settings: LrsSettings) -> dict[str, str]:
    try:
        password = settings.decrypted_password()
    except PasswordUnreadableError as exc:
        raise PushError(_("The LRS password can no longer be read (the secret key changed): enter it again.")) from exc
    credentials = base64.b64encode(f"{settings.username}:{password}".encode()).decode("ascii")
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Experience-API-Version": xs.XAPI_VERSION,
        "Authorization": f"Basic {credentials}",
    }


def post(settings: LrsSettings, body: list[dict[str, Any]] | dict[str, Any]) -> Answer:
    """POST statements to the LRS and return its answer (never raises for an HTTP or network failure)."""
    url = settings.statements_url
    if urlsplit(url).scheme not in ("https", "http"):  # checked when saved; never open file: or other schemes
        return Answer(0, _("The address of the LRS is not an http(s) address."))
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=_headers(settings), method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    timeout = current_app.config.get("RECORDS_LRS_TIMEOUT", 10)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read(ERROR_LENGTH).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, (exc.read(ERROR_LENGTH) or b"").decode("utf-8", "replace") or str(exc.reason))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Answer(0, str(getattr(exc, "reason", exc)))


def describe(answer: Answer) -> str:
    """The answer as a line for ``last_error`` and the settings page."""
    if answer.status == 0:
        return _("No answer from the LRS: %(reason)s", reason=answer.text)[:ERROR_LENGTH]
    return f"HTTP {answer.status}: {answer.text.strip()}"[:ERROR_LENGTH]


@dataclass
class _Tally:
    sent: int = 0
    failed: int = 0


def _send(settings: LrsSettings, rows: list[XapiStatement], tally: _Tally) -> None:
    """Send ``rows`` and mark them; a failure of the LRS marks them and raises :class:`PushError`."""
    answer = post(settings, [row.payload for row in rows])
    now = utcnow()
    if 200 <= answer.status < 300 or (answer.status == 409 and len(rows) == 1):
        for row in rows:
            row.state, row.sent_at, row.attempts = StatementState.SENT.value, now, row.attempts + 1
            row.last_error = describe(answer) if answer.status == 409 else ""
        tally.sent += len(rows)
        return
    if answer.status == 409 or (answer.status in REFUSED and len(rows) > 1):
        for row in rows:  # find which ones: each statement on its own
            _send(settings, [row], tally)
        return
    for row in rows:
        row.attempts += 1
        row.last_error = describe(answer)
    if answer.status in REFUSED:
        rows[0].state = StatementState.FAILED.value
        tally.failed += 1
        return
    db.session.commit()
    raise PushError(describe(answer))


def pending_count(academy_id: int) -> int:
    return db.session.scalar(
        select(func.count(XapiStatement.id)).where(
            XapiStatement.academy_id == academy_id, XapiStatement.state == StatementState.PENDING.value
        )
    )


def push_pending(
    academy_id: int,
    *,
    limit: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int | str]:
    """Send up to ``limit`` pending statements of the academy to its LRS, oldest first, ``batch_size`` per
    request, committing after each batch. Returns ``{"sent", "failed", "pending"}`` (``"skipped": "disabled"``
    when the academy has no enabled LRS). Raises :class:`PushError` when the LRS fails; what was sent before
    stays sent and the rest stays pending."""
    config = current_app.config
    limit = limit or config.get("RECORDS_XAPI_PUSH_LIMIT", 5000)
    batch_size = batch_size or config.get("RECORDS_XAPI_BATCH_SIZE", 50)
    settings = db.session.scalar(select(LrsSettings).where(LrsSettings.academy_id == academy_id))
    if settings is None or not settings.enabled or not settings.endpoint:
        return {"sent": 0, "failed": 0, "pending": pending_count(academy_id), "skipped": "disabled"}
    ids = list(
        db.session.scalars(
            select(XapiStatement.id)
            .where(XapiStatement.academy_id == academy_id, XapiStatement.state == StatementState.PENDING.value)
            .order_by(XapiStatement.id)
            .limit(limit)
        )
    )
    tally = _Tally()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        rows = list(
            db.session.scalars(select(XapiStatement).where(XapiStatement.id.in_(chunk)).order_by(XapiStatement.id))
        )
        _send(settings, rows, tally)
        db.session.commit()
        if progress is not None:
            progress(start + len(chunk), len(ids))
    return {"sent": tally.sent, "failed": tally.failed, "pending": pending_count(academy_id)}


def connection_test_statement(site: xs.Site, user_id: int) -> dict[str, Any]:
    """A statement that says only that this LMS checked the connection (a random id: each test is its own)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": site.home, "name": site.account_name(user_id)}},
        "verb": {"id": f"{xs.ADL}/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {
            "objectType": "Activity",
            "id": site.activity_id("lrs-test", "connection"),
            "definition": {"name": {"en-US": "LRS connection test"}},
        },
        "context": {"platform": site.platform},
        "timestamp": xs.timestamp(utcnow()),
    }


def send_test(settings: LrsSettings, user_id: int) -> tuple[bool, str]:
    """Send one test statement with the saved settings; (accepted, what the LRS said)."""
    try:
        answer = post(settings, connection_test_statement(xs.site_from_app(), user_id))
    except PushError as exc:
        return False, str(exc)
    return 200 <= answer.status < 300, describe(answer)
