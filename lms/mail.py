"""Outgoing mail. With no ``LMS_MAIL_SERVER`` configured, messages are written to the application log."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message, or log it when no mail server is set."""
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["LMS_MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not cfg.get("LMS_MAIL_SERVER"):
        current_app.logger.info("Mail (no LMS_MAIL_SERVER set, not sent):\n%s", message.as_string())
        if current_app.testing:
            current_app.extensions.setdefault("lms.outbox", []).append(message)
        return
    with smtplib.SMTP(cfg["LMS_MAIL_SERVER"], cfg["LMS_MAIL_PORT"], timeout=20) as smtp:
        if cfg["LMS_MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg.get("LMS_MAIL_USERNAME"):
            smtp.login(cfg["LMS_MAIL_USERNAME"], cfg["LMS_MAIL_PASSWORD"] or "")
        smtp.send_message(message)
