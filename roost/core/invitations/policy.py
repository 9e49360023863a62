"""Which e-mail addresses an organisation lets in: its list of allowed domains.

The match is exact, after lower-casing and converting an internationalised domain to its
ASCII form: `example.com` allows `ana@example.com`, not `ana@mail.example.com` and never
`ana@example.com.evil.test`. Subdomains are listed one by one, on purpose: a wildcard
would also let in any subdomain someone else controls. An empty list allows any domain.
"""

from __future__ import annotations

import re

from roost.core.models import Organization

MAX_DOMAINS = 50
# A host name: labels of letters, digits and hyphens (after IDNA), at least two of them.
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def domain_normalized(value: str) -> str | None:
    """The domain in the form the policy stores and compares, or None when it is not one."""
    text = value.strip().lower().rstrip(".")
    if text.startswith("@"):
        text = text[1:]
    if not text or len(text) > 253:
        return None
    try:
        ascii_form = text.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    return ascii_form if _DOMAIN.match(ascii_form) else None


def email_domain(email: str) -> str | None:
    """The normalised domain of an address, or None when it has none."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return None
    return domain_normalized(domain)


def allowed_domains(*, organization: Organization) -> list[str]:
    from roost.core.invitations.models import InvitationPolicy

    policy = InvitationPolicy.objects.filter(organization=organization).first()
    return list(policy.allowed_email_domains) if policy else []


def email_domain_allowed(*, organization: Organization, email: str) -> bool:
    """Whether the organisation's policy lets an address with this domain be invited
    (or provisioned by single sign-on). Always False for text that has no domain."""
    domain = email_domain(email)
    if domain is None:
        return False
    domains = allowed_domains(organization=organization)
    return not domains or domain in domains
