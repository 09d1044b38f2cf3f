"""A person's name in two scripts: the name is kept as written, and certificates may spell it in the other one.

Serbian is written in Latin and in Cyrillic, and a person may write their name in one script but want their
certificate in the other (the script of their diploma, or of the institution that asks for it). The name itself is
never rewritten: the certificate's spelling is worked out when a certificate is issued, in this order:

1. the official spelling a registrar set (``User.certificate_name``), when the documents differ from any
   transliteration (``Đorđe`` written ``Djordje`` in a passport);
2. the name transliterated into the script the user chose (``User.certificate_script``: "Latn" or "Cyrl");
3. the name as written.

An issued certificate keeps the spelling it was issued with (``Certificate.holder_name``): changing the choice or
the override only affects certificates issued afterwards.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, User
from lms.translit import to_script

SCRIPTS = {"": _l("As written"), "Latn": _l("Latin"), "Cyrl": _l("Cyrillic")}

# Who is offered the choice: those who read Serbian, Bosnian or Montenegrin (each written in both scripts) by
# language or by country. Others have no second script to choose, so the choice would only confuse them.
SCRIPT_LANGUAGES = frozenset({"sr", "sr_Latn", "sr_Cyrl", "bs", "cnr"})
SCRIPT_COUNTRIES = frozenset({"RS", "ME", "BA"})

# Letters the transliteration knows (Serbian Latin, with q, w, x and y that it keeps in foreign words, and Serbian
# Cyrillic). A name holding any other letter (Ëndrit, Çela) is not Serbian: it is always spelled as written, since
# a half-transliterated name ("Ëндрит") would be nobody's name.
_SERBIAN_LETTERS = frozenset("abcčćdđefghijklmnopqrsštuvwxyzžабвгдђежзијклљмнњопрстћуфхцчџш")


def offers_script_choice(user: User) -> bool:
    """True when ``user`` may choose the script of their certificates (Serbian, Bosnian, Montenegrin)."""
    return (user.language or "") in SCRIPT_LANGUAGES or (user.country or "") in SCRIPT_COUNTRIES


def transliterable(name: str) -> bool:
    """True when every letter of ``name`` belongs to Serbian Latin or Cyrillic (so it can change script)."""
    return all(char.lower() in _SERBIAN_LETTERS for char in name if char.isalpha())


def in_script(name: str, script: str) -> str:
    """``name`` spelled in ``script`` ("Latn", "Cyrl"; "" as written). A name that is not Serbian stays as written."""
    if not script or not transliterable(name):
        return name
    return to_script(name, script)


def spellings(name: str) -> dict[str, str]:
    """``name`` in each script the user may choose, for the preview next to the choice."""
    return {script: in_script(name, script) for script in SCRIPTS}


def certificate_name_for(user: User) -> str:
    """The holder's name for a certificate issued to ``user`` now: the registrar's official spelling if set,
    else the name in the script the user chose, else the name as written."""
    if user.certificate_name:
        return user.certificate_name
    return in_script(user.display_name, user.certificate_script or "")


def name_forms(user: User) -> list[str]:
    """Every spelling of ``user``'s name the site may hold outside their certificates: as written, in both
    scripts, the official spelling and the earlier official spellings kept in the audit log. Anonymising erases
    each of them wherever the audit log carries it."""
    forms = {user.display_name, user.certificate_name, *spellings(user.display_name).values()}
    changes = db.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "account.certificate_name_changed",
            AuditEvent.object_type == "User",
            AuditEvent.object_id == str(user.id),
        )
    )
    for details in changes:
        forms.update(v for k, v in (details or {}).items() if k in ("old", "new") and isinstance(v, str))
    return sorted(f for f in forms if f)
