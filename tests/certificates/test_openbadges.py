"""Open Badges 3.0 credentials: schema validity, eddsa-rdfc-2022 signatures, tampering, offline JSON-LD, keys."""

from __future__ import annotations

import json
import socket
import stat
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask

from certificates import openbadges as ob

REPO = Path(__file__).resolve().parents[2]
SHARED_SCHEMAS = REPO.parent / "shared" / "schemas" / "openbadges-3.0"
LOCAL_SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://lms.example"
NAMES = ["Ђорђе Чолић", "Đorđe Čolić"]


def schema(name: str) -> dict[str, Any]:
    """The official schema from ../shared (as in CI), else the copy kept beside this test."""
    path = SHARED_SCHEMAS / name
    if not path.exists():
        path = LOCAL_SCHEMAS / name
    return json.loads(path.read_text(encoding="utf-8"))


def validate(instance: dict[str, Any], name: str) -> None:
    document = schema(name)
    validator = jsonschema.validators.validator_for(document)  # the draft the schema declares (2019-09)
    validator.check_schema(document)
    validator(document, format_checker=validator.FORMAT_CHECKER).validate(instance)


def data(holder_name: str = NAMES[0], **changes: Any) -> ob.CredentialData:
    values: dict[str, Any] = {
        "code": "K7QX-29TD",
        "holder_name": holder_name,
        "holder_id": "5b0c1f2e-3d4a-4b6c-8e9f-0a1b2c3d4e5f",
        "course_title": "Заштита деце на интернету",
        "course_description": "Основни курс за полицијске службенике.",
        "criteria_narrative": "Completed every lesson and passed the final assessment.",
        "curriculum_code": "OCP 101",
        "credit_hours": 12.0,
        "academy_name": "Академија",
        "academy_slug": "academy-rs",
        "academy_url": f"{BASE}/academies/academy-rs",
        "issued_on": date(2025, 6, 1),
        "expires_on": date(2028, 5, 31),
        "verify_url": f"{BASE}/verify/K7QX-29TD",
        "base_url": BASE,
        "language": "sr_Cyrl",
    }
    values.update(changes)
    return ob.CredentialData(**values)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def method() -> str:
    return ob.verification_method_id(ob.issuer_id(BASE, "academy-rs"))


@pytest.fixture(scope="module")
def signed(key: Ed25519PrivateKey, method: str) -> dict[str, Any]:
    return ob.sign_credential(ob.build_credential(data()), key, method)


# ----------------------------------------------------------------------------------------- schema


def test_schema_copy_matches_shared_when_both_exist() -> None:
    assert (LOCAL_SCHEMAS / "achievementcredential.json").exists()
    assert (LOCAL_SCHEMAS / "profile.json").exists()
    if not SHARED_SCHEMAS.exists():
        pytest.skip("../shared/schemas not beside the repository")
    for name in ("achievementcredential.json", "profile.json"):
        assert (LOCAL_SCHEMAS / name).read_bytes() == (SHARED_SCHEMAS / name).read_bytes()


def test_shipped_contexts_are_the_official_files() -> None:
    shared = REPO.parent / "shared" / "schemas"
    if not shared.exists():
        pytest.skip("../shared/schemas not beside the repository")
    for url, official in (
        (ob.VC_V2_CONTEXT, "w3c-vc/credentials-v2.jsonld"),
        (ob.OB_CONTEXT, "openbadges-3.0/context-3.0.3.json"),
    ):
        assert ob.SHIPPED_CONTEXTS[url].read_bytes() == (shared / official).read_bytes()


@pytest.mark.parametrize("holder_name", NAMES)
def test_credential_validates_against_the_ob30_schema(holder_name: str, key: Ed25519PrivateKey, method: str) -> None:
    credential = ob.sign_credential(ob.build_credential(data(holder_name)), key, method)
    validate(credential, "achievementcredential.json")
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"] == [ob.VC_V2_CONTEXT, ob.OB_CONTEXT]
    identities = {item["identityType"]: item["identityHash"] for item in credential["credentialSubject"]["identifier"]}
    assert identities == {"name": holder_name, "systemId": data().holder_id}
    for stamp in (credential["validFrom"], credential["validUntil"], credential["proof"][0]["created"]):
        assert datetime.fromisoformat(stamp).tzinfo is not None  # the schema's date-time, checked by hand


def test_credential_content() -> None:
    credential = ob.build_credential(data(credit_hours=12.0, expires_on=None))
    achievement = credential["credentialSubject"]["achievement"]
    assert credential["id"] == f"{BASE}/verify/K7QX-29TD"
    assert credential["issuer"]["id"] == f"{BASE}/issuers/academy-rs"
    assert credential["validFrom"] == "2025-06-01T00:00:00Z"
    assert "validUntil" not in credential and "credentialStatus" not in credential
    assert achievement["id"] == f"{BASE}/issuers/academy-rs/achievements/OCP%20101"
    assert achievement["humanCode"] == "OCP 101" and achievement["inLanguage"] == "sr-Cyrl"
    assert achievement["creditsAvailable"] == 12 and isinstance(achievement["creditsAvailable"], int)
    assert "@" not in json.dumps(credential).replace("@context", "")  # no e-mail address anywhere
    assert ob.build_credential(data(credit_hours=1.5))["credentialSubject"]["creditsEarned"] == 1.5
    assert "creditsAvailable" not in ob.build_credential(data(credit_hours=None))["credentialSubject"]["achievement"]


def test_every_term_is_defined_by_the_shipped_contexts() -> None:
    nquads = ob.canonicalize(ob.build_credential(data()))
    assert "issuer-dependent" not in nquads  # nothing fell through to the VC 2.0 catch-all @vocab
    assert "Ђорђе Чолић" in nquads and "2028-05-31T23:59:59Z" in nquads


def test_issuer_document_is_a_profile_with_the_key(key: Ed25519PrivateKey) -> None:
    document = issuer_doc(key)
    validate(document, "profile.json")
    (method,) = document["verificationMethod"]
    assert method["id"] == f"{BASE}/issuers/academy-rs#key-1" == document["assertionMethod"][0]
    assert method["controller"] == document["id"]
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert raw_public(ob.public_key_from_multibase(method["publicKeyMultibase"])) == raw_public(key.public_key())


def issuer_doc(key: Ed25519PrivateKey, **changes: Any) -> dict[str, Any]:
    values = {"base_url": BASE, "academy_slug": "academy-rs", "academy_name": "Академија"}
    values.update(changes)
    return ob.issuer_document(**values, academy_url=f"{BASE}/academies/academy-rs", public_key=key.public_key())


# ------------------------------------------------------------------------------------ signatures


def test_signature_verifies(signed: dict[str, Any], key: Ed25519PrivateKey, method: str) -> None:
    assert ob.verify_credential(signed, key.public_key())
    assert ob.verify_credential(signed, key.public_key(), verification_method=method)
    assert ob.verify_credential(json.loads(json.dumps(signed, ensure_ascii=False)), key.public_key())
    proof = signed["proof"][0]
    assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
        "DataIntegrityProof",
        "eddsa-rdfc-2022",
        "assertionMethod",
    )
    assert proof["proofValue"].startswith("z") and len(ob.base58btc_decode(proof["proofValue"][1:])) == 64


def test_verification_with_a_held_issuer_document(signed: dict[str, Any], key: Ed25519PrivateKey) -> None:
    assert ob.verify_with_issuer_document(signed, issuer_doc(key))
    assert not ob.verify_with_issuer_document(signed, issuer_doc(key, academy_slug="other"))
    assert not ob.verify_with_issuer_document(signed, issuer_doc(Ed25519PrivateKey.generate()))
    unlisted = issuer_doc(key) | {"assertionMethod": []}
    assert not ob.verify_with_issuer_document(signed, unlisted)


def test_wrong_key_or_method_fails(signed: dict[str, Any], key: Ed25519PrivateKey) -> None:
    assert not ob.verify_credential(signed, Ed25519PrivateKey.generate().public_key())
    assert not ob.verify_credential(signed, key.public_key(), verification_method=f"{BASE}/issuers/x#key-1")


def flip(raw: bytes, index: int) -> bytes:
    changed = bytearray(raw)
    changed[index] ^= 0x01
    return bytes(changed)


def verify_bytes(raw: bytes, key: Ed25519PrivateKey) -> bool:
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError:
        return False  # the flip broke the JSON or the UTF-8 itself
    return ob.verify_credential(document, key.public_key())


@pytest.mark.parametrize(
    ("needle", "offset"),
    [
        ("Ђорђе Чолић".encode(), 1),  # second byte of "Ђ": another Cyrillic letter, still valid UTF-8
        ("Чолић".encode(), 9),  # last byte of "ћ"
        (b"2025-06-01", 3),  # the year of validFrom
        (b"2028-05-31", 9),  # the day of validUntil
        (b'"proofValue": "z', 20),  # inside the signature
        (b"OCP 101", 0),
        (b"VerifiableCredential", 0),
        (b"https://purl.imsglobal.org", 10),  # a context URL: refused, not fetched
    ],
)
def test_one_flipped_byte_breaks_the_signature(
    signed: dict[str, Any], key: Ed25519PrivateKey, needle: bytes, offset: int
) -> None:
    raw = json.dumps(signed, ensure_ascii=False).encode("utf-8")
    assert verify_bytes(raw, key)
    assert not verify_bytes(flip(raw, raw.index(needle) + offset), key)


def test_flipping_any_byte_breaks_the_signature(signed: dict[str, Any], key: Ed25519PrivateKey) -> None:
    raw = json.dumps(signed, ensure_ascii=False).encode("utf-8")
    survivors = [index for index in range(0, len(raw), 7) if verify_bytes(flip(raw, index), key)]
    assert survivors == []


def test_every_string_changed_breaks_the_signature(signed: dict[str, Any], key: Ed25519PrivateKey) -> None:
    for path in string_paths(signed):
        tampered = json.loads(json.dumps(signed))
        parent = tampered
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = parent[path[-1]] + "x"
        assert not ob.verify_credential(tampered, key.public_key()), path


def string_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    paths = []
    for step, value in items:
        paths += [prefix + (step,)] if isinstance(value, str) else string_paths(value, prefix + (step,))
    return paths


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c.pop("validUntil"),
        lambda c: c["credentialSubject"].update(creditsEarned=120),
        lambda c: c["credentialSubject"]["identifier"].pop(),
        lambda c: c.update(evidence=[{"id": "https://evil.example", "type": ["Evidence"]}]),
        lambda c: c.update({"@ignored": "silently dropped by JSON-LD"}),
        lambda c: c["credentialSubject"]["achievement"].update({"_:b0": "a blank-node property"}),
        lambda c: c["@context"].append("https://evil.example/context.json"),
        lambda c: c["proof"].append(dict(c["proof"][0])),
        lambda c: c["proof"][0].update(cryptosuite="eddsa-jcs-2022"),
        lambda c: c["proof"][0].update(proofValue="zzzz"),
        lambda c: c["proof"][0].update(proofValue="u" + c["proof"][0]["proofValue"][1:]),
        lambda c: c["proof"][0].update({"@context": ["https://www.w3.org/2018/credentials/v1"]}),
        lambda c: c.pop("proof"),
    ],
)
def test_tampered_or_malformed_credentials_fail(signed: dict[str, Any], key: Ed25519PrivateKey, tamper: Any) -> None:
    tampered = json.loads(json.dumps(signed))
    tamper(tampered)
    assert not ob.verify_credential(tampered, key.public_key())


@pytest.mark.parametrize("garbage", [{}, [], None, "text", {"proof": "x"}, {"proof": [{}]}])
def test_garbage_fails_without_raising(garbage: Any, key: Ed25519PrivateKey) -> None:
    assert ob.verify_credential(garbage, key.public_key()) is False
    assert ob.verify_with_issuer_document(garbage, issuer_doc(key)) is False


def test_signing_twice_is_refused(signed: dict[str, Any], key: Ed25519PrivateKey, method: str) -> None:
    with pytest.raises(ValueError, match="already has a proof"):
        ob.sign_credential(signed, key, method)


# ------------------------------------------------------------------------------------- offline


def test_loader_serves_shipped_contexts_and_refuses_others() -> None:
    for url in (ob.VC_V2_CONTEXT, ob.OB_CONTEXT):
        assert "@context" in ob.document_loader(url, {})["document"]
    for url in ("https://www.w3.org/ns/cid/v1", "https://evil.example/ctx.json", "file:///etc/passwd"):
        with pytest.raises(ob.ContextRefused):
            ob.document_loader(url, {})


def test_unknown_context_is_refused_not_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)
    document = {"@context": "https://w3id.org/security/data-integrity/v2", "name": "x"}
    with pytest.raises(Exception) as raised:
        ob.canonicalize(document)
    causes = [raised.value]
    while causes[-1].__cause__ is not None:
        causes.append(causes[-1].__cause__)
    assert any(isinstance(cause, ob.ContextRefused) for cause in causes)


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_sign_and_verify_open_no_socket(monkeypatch: pytest.MonkeyPatch, key: Ed25519PrivateKey, method: str) -> None:
    block_network(monkeypatch)
    credential = ob.build_credential(data(NAMES[1]))
    signed = ob.sign_credential(credential, key, method, loader=ob.make_document_loader())  # cold cache
    assert ob.verify_credential(signed, key.public_key(), loader=ob.make_document_loader())
    assert ob.verify_with_issuer_document(signed, issuer_doc(key))


# ------------------------------------------------------------------------ known-answer vector (W3C)

# W3C vc-di-eddsa, test vectors for eddsa-rdfc-2022 (TestVectors/eddsa-rdfc-2022/ and keyPair.json in
# w3c/vc-di-eddsa): key pair, unsigned credential, proof options, expected hash data and proofValue.
W3C_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"
W3C_UNSIGNED = {
    "@context": [ob.VC_V2_CONTEXT, W3C_EXAMPLES_CONTEXT],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_METHOD = f"https://vc.example/issuers/5678#{W3C_PUBLIC_KEY}"
W3C_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
W3C_HASH_DATA = (
    "4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb"
    "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"
)
W3C_PROOF_VALUE = "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9"
# The examples context is a one-line @vocab context; only this test's loader serves it.
W3C_LOADER = ob.make_document_loader(
    {W3C_EXAMPLES_CONTEXT: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}
)


def w3c_key() -> Ed25519PrivateKey:
    decoded = ob.base58btc_decode(W3C_PRIVATE_KEY[1:])
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return Ed25519PrivateKey.from_private_bytes(decoded[2:])


def test_w3c_known_answer_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    block_network(monkeypatch)
    key = w3c_key()
    assert ob.public_key_multibase(key.public_key()) == W3C_PUBLIC_KEY
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": W3C_METHOD,
        "proofPurpose": "assertionMethod",
    }
    assert ob.hash_data(W3C_UNSIGNED, options, W3C_LOADER).hex() == W3C_HASH_DATA
    signed = ob.sign_credential(W3C_UNSIGNED, key, W3C_METHOD, created=W3C_CREATED, loader=W3C_LOADER)
    assert signed["proof"][0]["proofValue"] == W3C_PROOF_VALUE
    published = W3C_UNSIGNED | {"proof": options | {"proofValue": W3C_PROOF_VALUE}}  # the spec's single object
    public_key = ob.public_key_from_multibase(W3C_PUBLIC_KEY)
    assert ob.verify_credential(published, public_key, verification_method=W3C_METHOD, loader=W3C_LOADER)
    assert not ob.verify_credential(published | {"name": "Alumni Credentiam"}, public_key, loader=W3C_LOADER)
    assert not ob.verify_credential(published, public_key)  # the default loader does not serve the examples


# ------------------------------------------------------------------------------------------- keys


def test_key_file_is_created_0600_and_reloaded_identically(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "signing_key.pem"
    first = ob.load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = ob.load_or_create_signing_key(path)
    assert raw_private(again) == raw_private(first)
    assert [p.name for p in path.parent.iterdir()] == ["signing_key.pem"]  # no temporary file left behind


def test_key_creation_never_replaces_an_existing_key(tmp_path: Path) -> None:
    path = tmp_path / "signing_key.pem"
    before = ob.load_or_create_signing_key(path)
    ob._create_key_file(path)  # as if a second process lost the race
    assert raw_private(ob.load_or_create_signing_key(path)) == raw_private(before)
    assert [p.name for p in tmp_path.iterdir()] == ["signing_key.pem"]


def test_a_key_of_another_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing_key.pem"
    pem = Ed448PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    with pytest.raises(ValueError, match="not an Ed25519"):
        ob.load_or_create_signing_key(path)


def test_key_path_from_config(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config["LMS_SIGNING_KEY"] = None
    assert ob.signing_key_path(app) == tmp_path / "instance" / "signing_key.pem"
    app.config["LMS_SIGNING_KEY"] = str(tmp_path / "keys" / "ob.pem")
    assert ob.signing_key_path(app) == tmp_path / "keys" / "ob.pem"
    assert isinstance(ob.app_signing_key(app), Ed25519PrivateKey)
    assert (tmp_path / "keys" / "ob.pem").exists()


def test_multikey_round_trip(key: Ed25519PrivateKey) -> None:
    value = ob.public_key_multibase(key.public_key())
    assert raw_public(ob.public_key_from_multibase(value)) == raw_public(key.public_key())
    assert ob.base58btc_decode(ob.base58btc_encode(b"\0\0\x01\xff")) == b"\0\0\x01\xff"
    with pytest.raises(ValueError):
        ob.public_key_from_multibase("u" + value[1:])
    with pytest.raises(ValueError):
        ob.public_key_from_multibase("z" + ob.base58btc_encode(b"\x12\x20" + bytes(32)))
