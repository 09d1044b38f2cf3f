"""The core's models: academies, users, memberships (roles), one-time tokens, recovery codes, audit events."""

from lms.models.academy import Academy
from lms.models.audit import AuditEvent
from lms.models.cohort import Cohort, CohortMember
from lms.models.user import (
    ACADEMY_ROLES,
    ACADEMY_ROLES_WITH_ADMIN,
    COUNTRIES,
    PROFESSIONS,
    ROLES,
    Membership,
    OneTimeToken,
    RecoveryCode,
    User,
    UserStatus,
)

__all__ = [
    "ACADEMY_ROLES",
    "ACADEMY_ROLES_WITH_ADMIN",
    "COUNTRIES",
    "PROFESSIONS",
    "ROLES",
    "Academy",
    "AuditEvent",
    "Cohort",
    "CohortMember",
    "Membership",
    "OneTimeToken",
    "RecoveryCode",
    "User",
    "UserStatus",
]
