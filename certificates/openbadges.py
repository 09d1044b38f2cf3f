"""Open Badges 3.0 credentials: build, sign and verify an ``OpenBadgeCredential`` offline.

The credential is a W3C Verifiable Credential 2.0 (JSON-LD) secured with a Data Integrity proof of the
``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa): the document and the proof options are each
canonicalised with RDF Dataset Canonicalization (RDFC-1.0, a.k.a. URDNA2015) and hashed with SHA-256, and
the concatenation ``proofConfigHash + documentHash`` is signed with Ed25519.

JSON-LD processing never touches the network: the only contexts a credential may use are the ones shipped
in ``certificates/contexts/`` (VC 2.0 and OB 3.0.3), and the document loader refuses every other URL.

Issuer identifiers and keys:

- issuer ``id`` = ``<LMS_BASE_URL>/issuers/<academy-slug>``: an Open Badges ``Profile`` that is also the
  controller document of the key (:func:`issuer_document`, served by the web route ``/issuers/<slug>``);
- verification method = ``<issuer id>#key-1``, a ``Multikey`` with ``publicKeyMultibase`` (``z6Mk...``).

A verifier with network dereferences the verification method URL. Offline, a verifier that holds the issuer
document (saved once, or handed over alongside the credential) calls :func:`verify_with_issuer_document`,
which checks that the key belongs to the credential's issuer before checking the signature; one that has
pinned the public key itself calls :func:`verify_credential`.

Revocation is deliberately not in the credential: the credential ``id`` is the public verification page
(``<LMS_BASE_URL>/verify/<code>``), which shows the current status. No ``credentialStatus`` is emitted
because the verification page is not a status list of any registered status method.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask
from pyld import jsonld
from pyld.context_resolver import ContextResolver

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
CREDENTIAL_CONTEXT = (VC_V2_CONTEXT, OB_CONTEXT)

CONTEXTS_DIR = Path(__file__).parent / "contexts"
SHIPPED_CONTEXTS: Mapping[str, Path] = {
    VC_V2_CONTEXT: CONTEXTS_DIR / "w3c" / "credentials-v2.jsonld",
    OB_CONTEXT: CONTEXTS_DIR / "1edtech" / "context-3.0.3.json",
}

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"
KEY_FRAGMENT = "key-1"
DEFAULT_KEY_FILENAME = "signing_key.pem"

# Multicodec prefix of an Ed25519 public key (0xed, varint-encoded) used in Multikey/did:key values.
ED25519_PUB_MULTICODEC = b"\xed\x01"
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

DocumentLoader = Callable[[str, Any], dict[str, Any]]


class ContextRefused(jsonld.JsonLdError):
    """A JSON-LD document referred to a context that is not shipped with the app (never fetched)."""


# --------------------------------------------------------------------------------------------- base58


def base58btc_encode(data: bytes) -> str:
    """Encode bytes in Bitcoin base58 (leading zero bytes become ``1``)."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(BASE58_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Decode Bitcoin base58; ``ValueError`` on a character outside the alphabet."""
    number = 0
    for char in text:
        index = BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not base58: {char!r}")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


# ------------------------------------------------------------------------------------------------ keys


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the Ed25519 signing key from a PEM file, creating it (mode 0600) atomically when missing.

    Two processes starting at once end up with the same key: the new key is written to a temporary file
    and hard-linked into place, which fails if another process got there first; then its key is loaded.
    """
    path = Path(path)
    if not path.exists():
        _create_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def _create_key_file(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")  # mode 0600, whatever the umask
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process created the key first: keep theirs
    finally:
        os.unlink(temporary)


def signing_key_path(app: Flask) -> Path:
    """``LMS_SIGNING_KEY`` if set, else ``signing_key.pem`` in the app's instance folder."""
    configured = app.config.get("LMS_SIGNING_KEY")
    return Path(configured) if configured else Path(app.instance_path) / DEFAULT_KEY_FILENAME


def app_signing_key(app: Flask) -> Ed25519PrivateKey:
    """The app's credential signing key (generated on first use)."""
    return load_or_create_signing_key(signing_key_path(app))


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase`` value: ``z`` + base58btc(0xed01 + raw 32-byte key)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc_encode(ED25519_PUB_MULTICODEC + raw)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """Parse a ``publicKeyMultibase`` value back into a key; ``ValueError`` if it is not Ed25519."""
    if not value.startswith("z"):
        raise ValueError("publicKeyMultibase must be base58btc ('z...')")
    decoded = base58btc_decode(value[1:])
    if len(decoded) != 34 or not decoded.startswith(ED25519_PUB_MULTICODEC):
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


# ------------------------------------------------------------------------------------------- issuers


def issuer_id(base_url: str, academy_slug: str) -> str:
    """The issuer ``Profile`` id of an academy: ``<base>/issuers/<slug>``."""
    return f"{base_url.rstrip('/')}/issuers/{quote(academy_slug, safe='')}"


def verification_method_id(issuer: str) -> str:
    """The id of the issuer's signing key: ``<issuer id>#key-1``."""
    return f"{issuer}#{KEY_FRAGMENT}"


def issuer_document(
    *, base_url: str, academy_slug: str, academy_name: str, academy_url: str, public_key: Ed25519PublicKey
) -> dict[str, Any]:
    """The issuer ``Profile`` and controller document that ``GET /issuers/<slug>`` serves.

    It is an Open Badges 3.0 Profile (validates against ``profile.json``) and a W3C Controlled Identifier
    document: the ``Multikey`` under ``verificationMethod`` is listed in ``assertionMethod``, so a verifier
    that dereferences ``<issuer id>#key-1`` finds the key and sees that the issuer controls it.
    """
    issuer = issuer_id(base_url, academy_slug)
    method = verification_method_id(issuer)
    return {
        "@context": [*CREDENTIAL_CONTEXT, CID_CONTEXT],
        "id": issuer,
        "type": ["Profile"],
        "name": academy_name,
        "url": academy_url,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": issuer,
                "publicKeyMultibase": public_key_multibase(public_key),
            }
        ],
        "assertionMethod": [method],
    }


# ---------------------------------------------------------------------------------------- credential


@dataclass(frozen=True)
class CredentialData:
    """Everything an Open Badges credential says, as issued (names are not re-read from the account).

    ``holder_id`` is an opaque, stable identifier of the learner (never an e-mail address).
    ``criteria_narrative`` and ``description`` are user-facing text: pass them translated.
    """

    code: str
    holder_name: str
    holder_id: str
    course_title: str
    course_description: str
    criteria_narrative: str
    curriculum_code: str
    credit_hours: float | None
    academy_name: str
    academy_slug: str
    academy_url: str
    issued_on: date
    expires_on: date | None
    verify_url: str
    base_url: str
    language: str | None = None
    description: str | None = None


def build_credential(data: CredentialData) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` (VC 2.0 + OB 3.0.3 JSON-LD) for one certificate."""
    issuer = issuer_id(data.base_url, data.academy_slug)
    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": data.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": data.academy_name, "url": data.academy_url},
        "validFrom": _start_of_day(data.issued_on),
        "name": data.course_title,
        "credentialSubject": _subject(data, issuer),
    }
    if data.description:
        credential["description"] = data.description
    if data.expires_on is not None:
        credential["validUntil"] = _end_of_day(data.expires_on)
    return credential


def _subject(data: CredentialData, issuer: str) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [_identity("name", data.holder_name), _identity("systemId", data.holder_id)],
        "achievement": _achievement(data, issuer),
    }
    if data.credit_hours is not None:
        subject["creditsEarned"] = _number(data.credit_hours)
    return subject


def _identity(kind: str, value: str) -> dict[str, Any]:
    # Unhashed on purpose: the name is printed on the certificate and the id is opaque.
    return {"type": "IdentityObject", "identityType": kind, "hashed": False, "identityHash": value}


def _achievement(data: CredentialData, issuer: str) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": f"{issuer}/achievements/{quote(data.curriculum_code, safe='')}",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": data.course_title,
        "description": data.course_description,
        "criteria": {"narrative": data.criteria_narrative},
        "humanCode": data.curriculum_code,
    }
    if data.credit_hours is not None:
        achievement["creditsAvailable"] = _number(data.credit_hours)
    if data.language:
        achievement["inLanguage"] = data.language.replace("_", "-")
    return achievement


def _number(value: float) -> int | float:
    # 2.0 and 2 canonicalise differently in some JSON-LD processors; an integer keeps them all agreeing.
    return int(value) if float(value).is_integer() else float(value)


def _start_of_day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _end_of_day(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"  # valid through the whole expiry date


# ---------------------------------------------------------------------------------- JSON-LD, offline


@cache
def _read_context(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def make_document_loader(extra: Mapping[str, dict[str, Any]] | None = None) -> DocumentLoader:
    """A JSON-LD document loader that serves the shipped contexts (plus ``extra``) and refuses any other URL."""
    extra = dict(extra or {})

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url in extra:
            document = copy.deepcopy(extra[url])
        elif url in SHIPPED_CONTEXTS:
            document = json.loads(_read_context(SHIPPED_CONTEXTS[url]))
        else:
            raise ContextRefused(
                f"JSON-LD context not shipped with the app, refused: {url}",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}

    return load


document_loader = make_document_loader()
_SHIPPED_CONTEXT_CACHE: dict[Any, Any] = {}  # processed shipped contexts; bounded by their small number


def canonicalize(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, resolving contexts with ``loader`` only."""
    loader = loader or document_loader
    # A context cache of our own: pyld's process-wide one might hold contexts that another loader fetched.
    cache = _SHIPPED_CONTEXT_CACHE if loader is document_loader else {}
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "contextResolver": ContextResolver(cache, loader),
    }
    return jsonld.normalize(copy.deepcopy(dict(document)), options)


# ------------------------------------------------------------------------------------- sign / verify


def sign_credential(
    credential: Mapping[str, Any],
    key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """Return the credential with an ``eddsa-rdfc-2022`` ``DataIntegrityProof`` (the proof as a one-item list,
    as the OB 3.0 schema requires)."""
    if "proof" in credential:
        raise ValueError("credential already has a proof")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _xsd_datetime(created or datetime.now(UTC)),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    signature = key.sign(hash_data(credential, options, loader))
    return {**copy.deepcopy(dict(credential)), "proof": [{**options, "proofValue": "z" + base58btc_encode(signature)}]}


def hash_data(
    document: Mapping[str, Any], proof_options: Mapping[str, Any], loader: DocumentLoader | None = None
) -> bytes:
    """vc-di-eddsa "hashing": SHA-256(canonical proof config) + SHA-256(canonical document), 64 bytes."""
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    proof_hash = hashlib.sha256(canonicalize(config, loader).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(document, loader).encode("utf-8")).digest()
    return proof_hash + document_hash


def verify_credential(
    signed: Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    verification_method: str | None = None,
    loader: DocumentLoader | None = None,
) -> bool:
    """True if ``signed`` carries one valid ``eddsa-rdfc-2022`` proof by ``public_key``; False otherwise.

    Never raises: malformed input, an unknown context, a changed byte or a wrong key all give False.
    ``verification_method``, when given, must equal the proof's. Works offline (shipped contexts only).
    """
    try:
        return _verify(signed, public_key, verification_method, loader)
    except Exception:  # any failure to process the credential means "not verified"
        return False


def verify_with_issuer_document(
    signed: Mapping[str, Any], issuer_doc: Mapping[str, Any], *, loader: DocumentLoader | None = None
) -> bool:
    """Offline verification against a held issuer document: the proof's key must be one of the document's
    ``assertionMethod`` keys, controlled by the document, which must be the credential's issuer."""
    try:
        method_id = _single_proof(signed)["verificationMethod"]
        method = _assertion_method(issuer_doc, method_id)
        if _issuer_of(signed) != issuer_doc["id"] or method.get("controller") != issuer_doc["id"]:
            return False
        key = public_key_from_multibase(method["publicKeyMultibase"])
    except Exception:
        return False
    return verify_credential(signed, key, verification_method=method_id, loader=loader)


def _verify(
    signed: Mapping[str, Any], public_key: Ed25519PublicKey, method: str | None, loader: DocumentLoader | None
) -> bool:
    proof = _single_proof(signed)
    if (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) != (PROOF_TYPE, CRYPTOSUITE, PROOF_PURPOSE):
        return False
    if method is not None and proof["verificationMethod"] != method:
        return False
    document = {key: value for key, value in signed.items() if key != "proof"}
    if _has_ignored_keys(document) or not _proof_context_ok(proof, document):
        return False
    signature = _decode_proof_value(proof["proofValue"])
    try:
        public_key.verify(signature, hash_data(document, proof, loader))
    except InvalidSignature:
        return False
    return True


def _single_proof(signed: Mapping[str, Any]) -> Mapping[str, Any]:
    proof = signed["proof"]
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ValueError("exactly one proof expected")
        proof = proof[0]
    if not isinstance(proof, Mapping):
        raise ValueError("proof must be an object")
    return proof


def _decode_proof_value(value: str) -> bytes:
    if not value.startswith("z"):
        raise ValueError("proofValue must be base58btc ('z...')")
    signature = base58btc_decode(value[1:])
    if len(signature) != 64:
        raise ValueError("an Ed25519 signature has 64 bytes")
    return signature


def _proof_context_ok(proof: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    # Data Integrity: a proof's own @context must be the first entries of the document's, in order.
    if "@context" not in proof:
        return True
    proof_context = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
    document_context = document["@context"] if isinstance(document["@context"], list) else [document["@context"]]
    return document_context[: len(proof_context)] == proof_context


def _has_ignored_keys(node: Any) -> bool:
    """True if the JSON holds keys a JSON-LD processor silently drops (``@foo``, blank-node properties):
    data that the signature would not cover."""
    if isinstance(node, list):
        return any(_has_ignored_keys(item) for item in node)
    if not isinstance(node, Mapping):
        return False
    for key, value in node.items():
        if (key.startswith("@") and key not in _JSONLD_KEYWORDS) or key.startswith("_:"):
            return True
        if key != "@context" and _has_ignored_keys(value):
            return True
    return False


_JSONLD_KEYWORDS = frozenset(
    "@base @container @context @direction @graph @id @import @included @index @json @language @list @nest "
    "@none @prefix @propagate @protected @reverse @set @type @value @version @vocab".split()
)


def _assertion_method(issuer_doc: Mapping[str, Any], method_id: str) -> Mapping[str, Any]:
    if method_id not in issuer_doc.get("assertionMethod", []):
        raise ValueError("key is not an assertion method of the issuer")
    for method in issuer_doc.get("verificationMethod", []):
        if method.get("id") == method_id and method.get("type") == "Multikey":
            return method
    raise ValueError("verification method not in the issuer document")


def _issuer_of(credential: Mapping[str, Any]) -> str:
    issuer = credential["issuer"]
    return issuer if isinstance(issuer, str) else issuer["id"]


def _xsd_datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
