"""A certificate's Open Badges 3.0 credential: the holder downloads it, the command prints it, it validates
against the official schema and verifies with the issuer's published key; revoked certificates have none."""

from __future__ import annotations

import json

from certificates import openbadges
from certificates.issuing import issue_certificate
from certificates.verification import revoke_certificate
from tests.certificates.test_openbadges import validate
from tests.conftest import login


def _certificate(make_course, academy, accredit, users, db):
    course = make_course(title="Мултиагенцијски одговор", slug="multi")
    accreditation = accredit(course, academy)
    users["learner"].display_name = "Ђорђе Чолић"
    db.session.commit()
    return issue_certificate(None, accreditation, users["learner"])


def test_the_holder_downloads_a_credential_that_validates_and_verifies(
    app, db, client, make_course, academy, accredit, users
):
    certificate = _certificate(make_course, academy, accredit, users, db)
    login(client, users["learner"])
    response = client.get(f"/certificates/{certificate.id}/credential.json")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    credential = json.loads(response.get_data(as_text=True))
    validate(credential, "achievementcredential.json")
    assert "Ђорђе Чолић" in json.dumps(credential, ensure_ascii=False)
    assert users["learner"].email not in json.dumps(credential)
    issuer = client.get(f"/issuers/{academy.slug}")
    assert issuer.status_code == 200 and issuer.headers["Access-Control-Allow-Origin"] == "*"
    assert openbadges.verify_with_issuer_document(credential, json.loads(issuer.get_data(as_text=True)))
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "Đorđe Čolić"
    assert not openbadges.verify_with_issuer_document(credential, json.loads(issuer.get_data(as_text=True)))


def test_the_command_prints_it_and_others_cannot_download_it(
    app, db, client, runner, make_course, academy, accredit, users, make_user
):
    certificate = _certificate(make_course, academy, accredit, users, db)
    result = runner.invoke(args=["lms", "certificates", "credential", certificate.code])
    assert result.exit_code == 0, result.output
    assert "OpenBadgeCredential" in json.loads(result.output)["type"]
    login(client, make_user("someone", roles={academy: ["learner"]}))
    assert client.get(f"/certificates/{certificate.id}/credential.json").status_code == 404
    assert client.get("/issuers/no-such-academy").status_code == 404


def test_a_revoked_certificate_has_no_credential(app, db, runner, make_course, academy, accredit, users):
    certificate = _certificate(make_course, academy, accredit, users, db)
    revoke_certificate(None, certificate, "Issued in error")
    result = runner.invoke(args=["lms", "certificates", "credential", certificate.code])
    assert result.exit_code == 1 and "revoked" in result.output
