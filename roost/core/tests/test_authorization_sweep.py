"""Every page and every API operation, asked for by every role of the demo, by a
stranger, and by an admin of another organisation, against the table below.

The table is the access policy as the web sees it: a new endpoint without an entry fails
`test_every_endpoint_has_an_entry`, which prints the lines to paste (with what each role
got, to be checked before they are pasted). A request "gets through" when it answers
anything but 401/403/404/405 or a redirect to sign in: a 400 or a 422 (an empty form, an
empty body) got past the permission gate. State-changing requests carry an empty form, or
the smallest body the OpenAPI schema accepts; each request runs inside a transaction that
is rolled back, so one role's deletion never hides the object from the next.

Whom the objects belong to: the demo organisation's, chosen so group-scoped roles are in
scope (Consumer EMEA: Priya the publisher, Chloé the community manager); the personal
ones (notifications, contact methods, saved filters, tokens, time off) are Ada's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from roost.api.api import api
from roost.core.actors import SYSTEM
from roost.core.api_access.tokens import Scope, token_create
from roost.core.demo import PEOPLE
from roost.core.models import AuditEvent, Membership, Organization, Role, User

ADMIN = "admin"
MANAGER = "manager"
PUBLISHER = "publisher"
APPROVER = "approver"
COMMUNITY = "community_manager"
ANALYST = "analyst"
VIEWER = "viewer"
ROLES = (ADMIN, MANAGER, PUBLISHER, APPROVER, COMMUNITY, ANALYST, VIEWER)

# What an entry may say besides a set of roles.
PUBLIC = "public"  # anyone, signed in or not (a bearer token in the URL is the key);
# judged only for server errors
SIGNED_IN = "everyone signed in"
NOT_ALLOWED = "method not allowed"  # 405 for everyone
Expectation = str | frozenset[str]

EVERYONE = frozenset(ROLES)
ADMIN_ONLY = frozenset({ADMIN})
ADMIN_MANAGER = frozenset({ADMIN, MANAGER})
NOBODY = frozenset[str]()
# Whoever may write posts (and add to the media library).
WRITERS = frozenset({ADMIN, MANAGER, PUBLISHER})


def _roles(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# The roles of the demo who get through, per method and endpoint (the URL name for a
# page, the OpenAPI path for the API). Objects are the demo's; see the module docstring.
EXPECTED: dict[str, Expectation] = {
    # Governance and sign-in: access, risks, offboarding, access reviews, invitations,
    # the audit stream, security keys and single sign-on (its flow is public).
    "GET /api/v1/access-reviews/campaigns": ADMIN_ONLY,
    "GET /api/v1/access-reviews/campaigns/{campaign_id}": ADMIN_ONLY,
    "GET /api/v1/access-reviews/campaigns/{campaign_id}/report": ADMIN_ONLY,
    "GET /api/v1/access-reviews/items": SIGNED_IN,
    "GET /api/v1/access/channel-groups/{channel_group_id}": ADMIN_MANAGER,
    "GET /api/v1/access/people/{user_id}": ADMIN_MANAGER,
    "GET /api/v1/governance/offboardings/{offboarding_id}": ADMIN_ONLY,
    "GET /api/v1/invitation-policy": ADMIN_ONLY,
    "GET /api/v1/invitations": ADMIN_ONLY,
    "GET /api/v1/invitations/{invitation_id}": ADMIN_ONLY,
    "GET /api/v1/organization/sign-in-policy": ADMIN_ONLY,
    "GET /api/v1/risks": ADMIN_ONLY,
    "GET access_reviews:campaign": ADMIN_ONLY,
    "GET access_reviews:campaign_close": NOT_ALLOWED,
    "GET access_reviews:campaign_list": ADMIN_ONLY,
    "GET access_reviews:campaign_new": ADMIN_ONLY,
    "GET access_reviews:mine": ADMIN_MANAGER,
    "GET access_reviews:report": ADMIN_ONLY,
    "GET access_reviews:report_csv": ADMIN_ONLY,
    "GET access_reviews:report_pdf": ADMIN_ONLY,
    "GET audit_stream:delete": NOT_ALLOWED,
    "GET audit_stream:list": ADMIN_ONLY,
    "GET audit_stream:toggle": NOT_ALLOWED,
    "GET core:audit_export_csv": ADMIN_ONLY,
    "GET governance:access_bulk": ADMIN_ONLY,
    "GET governance:access_channel": ADMIN_MANAGER,
    "GET governance:access_channel_group": ADMIN_MANAGER,
    "GET governance:access_home": ADMIN_MANAGER,
    "GET governance:access_person": ADMIN_MANAGER,
    "GET governance:risks": ADMIN_ONLY,
    "GET invitations:accept": PUBLIC,
    "GET invitations:list": ADMIN_ONLY,
    "GET invitations:policy": ADMIN_ONLY,
    "GET invitations:resend": NOT_ALLOWED,
    "GET invitations:revoke": NOT_ALLOWED,
    "GET offboarding:index": ADMIN_ONLY,
    "GET offboarding:preview": ADMIN_ONLY,
    "GET offboarding:report": ADMIN_ONLY,
    "GET offboarding:report_csv": ADMIN_ONLY,
    "GET offboarding:rotation_done": NOT_ALLOWED,
    "GET offboarding:rotations": SIGNED_IN,
    "GET offboarding:run": NOT_ALLOWED,
    "GET signin_methods:mapping_remove": NOT_ALLOWED,
    "GET signin_methods:policy": ADMIN_ONLY,
    "GET signin_methods:security_key_options": NOT_ALLOWED,
    "GET signin_methods:security_key_remove": NOT_ALLOWED,
    "GET signin_methods:security_keys": SIGNED_IN,
    "GET signin_methods:signin_key": NOT_ALLOWED,
    "GET signin_methods:signin_key_options": NOT_ALLOWED,
    "GET signin_methods:sso_callback": PUBLIC,
    "GET signin_methods:sso_start": NOT_ALLOWED,
    "GET signin_methods:sso_find": NOT_ALLOWED,
    "PATCH /api/v1/organization/sign-in-policy": ADMIN_ONLY,
    "POST /api/v1/access-reviews/campaigns": ADMIN_ONLY,
    "POST /api/v1/access-reviews/campaigns/{campaign_id}/close": ADMIN_ONLY,
    "POST /api/v1/access-reviews/items/{item_id}/attest": SIGNED_IN,
    "POST /api/v1/access/bulk/apply": SIGNED_IN,
    "POST /api/v1/access/bulk/preview": SIGNED_IN,
    "POST /api/v1/governance/offboardings": ADMIN_ONLY,
    "POST /api/v1/invitations": ADMIN_ONLY,
    "POST /api/v1/invitations/{invitation_id}/resend": ADMIN_ONLY,
    "POST /api/v1/invitations/{invitation_id}/revoke": ADMIN_ONLY,
    "POST access_reviews:campaign": NOT_ALLOWED,
    "POST access_reviews:campaign_close": ADMIN_ONLY,
    "POST access_reviews:campaign_list": NOT_ALLOWED,
    "POST access_reviews:campaign_new": ADMIN_ONLY,
    "POST access_reviews:mine": ADMIN_MANAGER,
    "POST access_reviews:report": NOT_ALLOWED,
    "POST access_reviews:report_csv": NOT_ALLOWED,
    "POST access_reviews:report_pdf": NOT_ALLOWED,
    "POST audit_stream:delete": ADMIN_ONLY,
    "POST audit_stream:list": ADMIN_ONLY,
    "POST audit_stream:toggle": ADMIN_ONLY,
    "POST core:audit_export_csv": ADMIN_ONLY,
    "POST governance:access_bulk": ADMIN_ONLY,
    "POST governance:access_channel": NOT_ALLOWED,
    "POST governance:access_channel_group": NOT_ALLOWED,
    "POST governance:access_home": NOT_ALLOWED,
    "POST governance:access_person": NOT_ALLOWED,
    "POST governance:risks": NOT_ALLOWED,
    "POST invitations:accept": PUBLIC,
    "POST invitations:list": ADMIN_ONLY,
    "POST invitations:policy": ADMIN_ONLY,
    "POST invitations:resend": ADMIN_ONLY,
    "POST invitations:revoke": ADMIN_ONLY,
    "POST offboarding:index": NOT_ALLOWED,
    "POST offboarding:preview": NOT_ALLOWED,
    "POST offboarding:report": NOT_ALLOWED,
    "POST offboarding:report_csv": NOT_ALLOWED,
    "POST offboarding:rotation_done": NOBODY,
    "POST offboarding:rotations": NOT_ALLOWED,
    "POST offboarding:run": ADMIN_ONLY,
    "POST signin_methods:mapping_remove": ADMIN_ONLY,
    "POST signin_methods:policy": ADMIN_ONLY,
    "POST signin_methods:security_key_options": SIGNED_IN,
    "POST signin_methods:security_key_remove": NOBODY,
    "POST signin_methods:security_keys": SIGNED_IN,
    "POST signin_methods:signin_key": PUBLIC,
    "POST signin_methods:signin_key_options": PUBLIC,
    "POST signin_methods:sso_callback": NOT_ALLOWED,
    "POST signin_methods:sso_start": PUBLIC,
    "POST signin_methods:sso_find": PUBLIC,
    "PUT /api/v1/invitation-policy": ADMIN_ONLY,
    "GET api-v1:openapi-json": PUBLIC,
    "POST api-v1:openapi-json": PUBLIC,
    "GET api-v1:openapi-view": PUBLIC,
    "POST api-v1:openapi-view": PUBLIC,
    "GET api-v1:api-root": PUBLIC,
    "POST api-v1:api-root": PUBLIC,
    "GET api:tokens": SIGNED_IN,
    "POST api:tokens": SIGNED_IN,
    "GET api:token_revoke": NOT_ALLOWED,
    "POST api:token_revoke": ADMIN_ONLY,
    "GET catalogue:index": SIGNED_IN,
    "POST catalogue:index": NOT_ALLOWED,
    "GET catalogue:changes": SIGNED_IN,
    "POST catalogue:changes": NOT_ALLOWED,
    "GET catalogue:network": SIGNED_IN,
    "POST catalogue:network": NOT_ALLOWED,
    "GET channels:list": SIGNED_IN,
    "POST channels:list": NOT_ALLOWED,
    "GET channels:create": ADMIN_MANAGER,
    "POST channels:create": ADMIN_MANAGER,
    "GET channels:import": ADMIN_MANAGER,
    "POST channels:import": ADMIN_MANAGER,
    "GET channels:export": SIGNED_IN,
    "POST channels:export": NOT_ALLOWED,
    "GET channels:detail": SIGNED_IN,
    "POST channels:detail": NOT_ALLOWED,
    "GET channels:health": SIGNED_IN,
    "POST channels:health": NOT_ALLOWED,
    "GET channels:edit": ADMIN_MANAGER,
    "POST channels:edit": ADMIN_MANAGER,
    "GET channels:mastodon_connect": ADMIN_MANAGER,
    "POST channels:mastodon_connect": ADMIN_MANAGER,
    "GET channels:mastodon_callback": SIGNED_IN,
    "POST channels:mastodon_callback": SIGNED_IN,
    "GET channels:bluesky_connect": ADMIN_MANAGER,
    "POST channels:bluesky_connect": ADMIN_MANAGER,
    "GET channels:network_apps": ADMIN_ONLY,
    "POST channels:network_apps": ADMIN_ONLY,
    "GET channels:network_app_forget": NOT_ALLOWED,
    "POST channels:network_app_forget": ADMIN_ONLY,
    "GET channels:network_connect": ADMIN_MANAGER,
    "POST channels:network_connect": ADMIN_MANAGER,
    "GET channels:network_callback": SIGNED_IN,
    "POST channels:network_callback": SIGNED_IN,
    "GET channels:network_pick": SIGNED_IN,
    "POST channels:network_pick": SIGNED_IN,
    "GET channels:status": NOT_ALLOWED,
    "POST channels:status": ADMIN_MANAGER,
    "GET channels:check": NOT_ALLOWED,
    "POST channels:check": ADMIN_MANAGER,
    "GET sandbox:connect": NOT_ALLOWED,
    "POST sandbox:connect": ADMIN_MANAGER,
    "GET sandbox:knobs": ADMIN_MANAGER,
    "POST sandbox:knobs": ADMIN_MANAGER,
    "GET sandbox:activity": SIGNED_IN,
    "POST sandbox:activity": NOT_ALLOWED,
    "GET sandbox:network_account": _roles(ADMIN, MANAGER, APPROVER, ANALYST, VIEWER),
    "POST sandbox:network_account": _roles(ADMIN, MANAGER, APPROVER, ANALYST, VIEWER),
    "GET sandbox:network_post": _roles(ADMIN, MANAGER, APPROVER, ANALYST, VIEWER),
    "POST sandbox:network_post": _roles(ADMIN, MANAGER, APPROVER, ANALYST, VIEWER),
    "GET sandbox:mailbox": SIGNED_IN,
    "POST sandbox:mailbox": NOT_ALLOWED,
    "GET sandbox:mail_message": ADMIN_ONLY,  # Ada's mail
    "POST sandbox:mail_message": ADMIN_ONLY,
    "GET sandbox:network_message": NOBODY,
    "POST sandbox:network_message": NOBODY,
    "GET approvals:queue": SIGNED_IN,
    "POST approvals:queue": NOT_ALLOWED,
    "GET approvals:post": SIGNED_IN,
    "POST approvals:post": NOT_ALLOWED,
    "GET approvals:submit": NOT_ALLOWED,
    "POST approvals:submit": _roles(ADMIN, MANAGER, PUBLISHER),
    "GET approvals:approve": NOT_ALLOWED,
    "POST approvals:approve": _roles(APPROVER),
    "GET approvals:reject": NOT_ALLOWED,
    "POST approvals:reject": _roles(APPROVER),
    "GET approvals:workflows": SIGNED_IN,
    "POST approvals:workflows": SIGNED_IN,
    "GET approvals:workflow": SIGNED_IN,
    "POST approvals:workflow": SIGNED_IN,
    "GET approvals:workflow_delete": NOT_ALLOWED,
    "POST approvals:workflow_delete": ADMIN_MANAGER,
    "GET approvals:workflow_archive": NOT_ALLOWED,
    "POST approvals:workflow_archive": ADMIN_MANAGER,
    "GET approvals:workflow_restore": NOT_ALLOWED,
    "POST approvals:workflow_restore": ADMIN_MANAGER,
    "GET approvals:workflow_step_add": NOT_ALLOWED,
    "POST approvals:workflow_step_add": SIGNED_IN,
    "GET approvals:workflow_step": NOT_ALLOWED,
    "POST approvals:workflow_step": SIGNED_IN,
    "GET approvals:workflow_step_move": NOT_ALLOWED,
    "POST approvals:workflow_step_move": ADMIN_MANAGER,
    "GET approvals:workflow_step_remove": NOT_ALLOWED,
    "POST approvals:workflow_step_remove": ADMIN_MANAGER,
    "GET publishing:index": SIGNED_IN,
    "POST publishing:index": NOT_ALLOWED,
    "GET publishing:compose": WRITERS,
    "POST publishing:compose": WRITERS,
    "GET publishing:checks": NOT_ALLOWED,
    "POST publishing:checks": SIGNED_IN,
    "GET publishing:compose_upload": NOT_ALLOWED,
    "POST publishing:compose_upload": WRITERS,
    "GET publishing:detail": SIGNED_IN,
    "POST publishing:detail": NOT_ALLOWED,
    "GET publishing:edit": NOT_ALLOWED,
    "POST publishing:edit": ADMIN_MANAGER,
    "GET publishing:schedule": NOT_ALLOWED,
    "POST publishing:schedule": ADMIN_MANAGER,
    "GET publishing:media": NOT_ALLOWED,
    "POST publishing:media": ADMIN_MANAGER,
    "GET publishing:variant_edit": NOT_ALLOWED,
    "POST publishing:variant_edit": ADMIN_MANAGER,
    "GET publishing:variant_check": NOT_ALLOWED,
    "POST publishing:variant_check": ADMIN_MANAGER,
    "GET publishing:variant_mark_published": NOT_ALLOWED,
    "POST publishing:variant_mark_published": ADMIN_MANAGER,
    "GET publishing:variant_send_again": NOT_ALLOWED,
    "POST publishing:variant_send_again": ADMIN_MANAGER,
    "GET publishing:campaigns": SIGNED_IN,
    "POST publishing:campaigns": SIGNED_IN,
    "GET publishing:campaign": SIGNED_IN,
    "POST publishing:campaign": NOT_ALLOWED,
    "GET publishing:campaign_action": NOT_ALLOWED,
    "POST publishing:campaign_action": ADMIN_MANAGER,
    "GET publishing:calendar": SIGNED_IN,
    "POST publishing:calendar": NOT_ALLOWED,
    "GET publishing:calendar_move": NOT_ALLOWED,
    "POST publishing:calendar_move": NOBODY,
    "GET publishing:calendar_feed": PUBLIC,
    "POST publishing:calendar_feed": PUBLIC,
    "GET publishing:compliance": SIGNED_IN,
    "POST publishing:compliance": ADMIN_MANAGER,
    "GET publishing:compliance_edit": ADMIN_MANAGER,
    "POST publishing:compliance_edit": ADMIN_MANAGER,
    "GET publishing:compliance_delete": NOT_ALLOWED,
    "POST publishing:compliance_delete": ADMIN_MANAGER,
    "GET media:library": SIGNED_IN,
    "POST media:library": NOT_ALLOWED,
    "GET media:published": PUBLIC,
    "POST media:published": NOT_ALLOWED,
    "GET media:upload": WRITERS,
    "POST media:upload": WRITERS,
    "GET media:detail": SIGNED_IN,
    "POST media:detail": SIGNED_IN,
    "GET media:renditions": SIGNED_IN,
    "POST media:renditions": NOT_ALLOWED,
    "GET media:original": SIGNED_IN,
    "POST media:original": NOT_ALLOWED,
    "GET media:preview": SIGNED_IN,
    "POST media:preview": NOT_ALLOWED,
    "GET media:rendition_file": NOBODY,
    "POST media:rendition_file": NOT_ALLOWED,
    "GET inbox_webhooks:receive": NOT_ALLOWED,
    "POST inbox_webhooks:receive": PUBLIC,
    "GET inbox_webhooks:meta_receive": PUBLIC,
    "POST inbox_webhooks:meta_receive": PUBLIC,
    "GET inbox_webhooks:linkedin_receive": PUBLIC,
    "POST inbox_webhooks:linkedin_receive": PUBLIC,
    "GET inbox_webhooks:x_receive": PUBLIC,
    "POST inbox_webhooks:x_receive": PUBLIC,
    "GET inbox_webhooks:channel": ADMIN_MANAGER,
    "POST inbox_webhooks:channel": ADMIN_MANAGER,
    "GET inbox_webhooks:change": NOT_ALLOWED,
    "POST inbox_webhooks:change": ADMIN_MANAGER,
    "GET inbox_webhooks:failed": SIGNED_IN,
    "POST inbox_webhooks:failed": NOT_ALLOWED,
    "GET inbox_webhooks:reprocess": NOT_ALLOWED,
    "POST inbox_webhooks:reprocess": NOBODY,
    "GET inbox:index": SIGNED_IN,
    "POST inbox:index": NOT_ALLOWED,
    "GET inbox:conversation": SIGNED_IN,
    "POST inbox:conversation": NOT_ALLOWED,
    "GET inbox:act": NOT_ALLOWED,
    "POST inbox:act": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET inbox:thread": SIGNED_IN,
    "POST inbox:thread": NOT_ALLOWED,
    "GET inbox:labels": NOT_ALLOWED,
    "POST inbox:labels": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET inbox:bulk": NOT_ALLOWED,
    "POST inbox:bulk": SIGNED_IN,
    "GET inbox:split": SIGNED_IN,
    "POST inbox:split": NOT_ALLOWED,
    "GET inbox:split_list": SIGNED_IN,
    "POST inbox:split_list": NOT_ALLOWED,
    "GET inbox:split_conversation": SIGNED_IN,
    "POST inbox:split_conversation": NOT_ALLOWED,
    "GET inbox:saved_filter_add": NOT_ALLOWED,
    "POST inbox:saved_filter_add": SIGNED_IN,
    "GET inbox:saved_filter_delete": NOT_ALLOWED,
    "POST inbox:saved_filter_delete": ADMIN_ONLY,
    "GET inbox:saved_replies": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST inbox:saved_replies": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET inbox:saved_reply": ADMIN_MANAGER,
    "POST inbox:saved_reply": ADMIN_MANAGER,
    "GET inbox:saved_reply_delete": NOT_ALLOWED,
    "POST inbox:saved_reply_delete": ADMIN_MANAGER,
    "GET inbox:presence": NOT_ALLOWED,
    "POST inbox:presence": SIGNED_IN,
    "GET inbox:presence_leave": NOT_ALLOWED,
    "POST inbox:presence_leave": SIGNED_IN,
    "GET inbox:settings_rules": SIGNED_IN,
    "POST inbox:settings_rules": NOT_ALLOWED,
    "GET inbox:settings_rule_create": ADMIN_MANAGER,
    "POST inbox:settings_rule_create": ADMIN_MANAGER,
    "GET inbox:settings_rule_edit": ADMIN_MANAGER,
    "POST inbox:settings_rule_edit": ADMIN_MANAGER,
    "GET inbox:settings_rule_move": NOT_ALLOWED,
    "POST inbox:settings_rule_move": ADMIN_MANAGER,
    "GET inbox:settings_rule_delete": NOT_ALLOWED,
    "POST inbox:settings_rule_delete": ADMIN_MANAGER,
    "GET inbox:settings_policies": SIGNED_IN,
    "POST inbox:settings_policies": NOT_ALLOWED,
    "GET inbox:settings_policy_create": ADMIN_MANAGER,
    "POST inbox:settings_policy_create": ADMIN_MANAGER,
    "GET inbox:settings_policy_edit": ADMIN_MANAGER,
    "POST inbox:settings_policy_edit": ADMIN_MANAGER,
    "GET inbox:settings_policy_delete": NOT_ALLOWED,
    "POST inbox:settings_policy_delete": ADMIN_MANAGER,
    "GET inbox:settings_learning": SIGNED_IN,
    "POST inbox:settings_learning": NOT_ALLOWED,
    "GET inbox:settings_learning_retrain": NOT_ALLOWED,
    "POST inbox:settings_learning_retrain": ADMIN_MANAGER,
    "GET inbox:message_moderate": NOT_ALLOWED,
    "POST inbox:message_moderate": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET inbox:settings_classifier": SIGNED_IN,
    "POST inbox:settings_classifier": ADMIN_ONLY,
    "GET inbox:settings_moderation": SIGNED_IN,
    "POST inbox:settings_moderation": ADMIN_MANAGER,
    "GET inbox:settings_moderation_edit": ADMIN_MANAGER,
    "POST inbox:settings_moderation_edit": ADMIN_MANAGER,
    "GET inbox:settings_moderation_switch": NOT_ALLOWED,
    "POST inbox:settings_moderation_switch": ADMIN_MANAGER,
    "GET inbox:settings_moderation_delete": NOT_ALLOWED,
    "POST inbox:settings_moderation_delete": ADMIN_MANAGER,
    "GET inbox:reports": _roles(ADMIN, MANAGER, ANALYST),
    "POST inbox:reports": _roles(ADMIN, MANAGER, ANALYST),
    "GET inbox:reports_csv": _roles(ADMIN, MANAGER, ANALYST),
    "POST inbox:reports_csv": _roles(ADMIN, MANAGER, ANALYST),
    "GET crisis:home": SIGNED_IN,
    "POST crisis:home": NOT_ALLOWED,
    "GET crisis:incident_new": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST crisis:incident_new": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET crisis:incident": SIGNED_IN,
    "POST crisis:incident": NOT_ALLOWED,
    "GET crisis:incident_act": NOT_ALLOWED,
    "POST crisis:incident_act": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET crisis:start": NOT_ALLOWED,
    "POST crisis:start": ADMIN_MANAGER,
    "GET crisis:mode": SIGNED_IN,
    "POST crisis:mode": SIGNED_IN,
    "GET crisis:end": NOT_ALLOWED,
    "POST crisis:end": ADMIN_MANAGER,
    "GET crisis:review": ADMIN_MANAGER,
    "POST crisis:review": NOBODY,
    "GET crisis:report": SIGNED_IN,
    "POST crisis:report": NOT_ALLOWED,
    "GET crisis:report_pdf": SIGNED_IN,
    "POST crisis:report_pdf": NOT_ALLOWED,
    "GET crisis:playbook": SIGNED_IN,
    "POST crisis:playbook": NOT_ALLOWED,
    "GET crisis:surge_link": NOT_ALLOWED,
    "POST crisis:surge_link": NOBODY,
    "GET listening:monitors": SIGNED_IN,
    "POST listening:monitors": ADMIN_MANAGER,
    "GET listening:monitor": SIGNED_IN,
    "POST listening:monitor": ADMIN_MANAGER,
    "GET listening:monitor_delete": NOT_ALLOWED,
    "POST listening:monitor_delete": ADMIN_MANAGER,
    "GET listening:preview": SIGNED_IN,
    "POST listening:preview": NOT_ALLOWED,
    "GET listening:alert": SIGNED_IN,
    "POST listening:alert": NOT_ALLOWED,
    "GET listening:feeds": SIGNED_IN,
    "POST listening:feeds": ADMIN_MANAGER,
    "GET listening:feed_remove": NOT_ALLOWED,
    "POST listening:feed_remove": ADMIN_MANAGER,
    "GET oncall:home": SIGNED_IN,
    "POST oncall:home": NOT_ALLOWED,
    "GET oncall:schedule_new": ADMIN_MANAGER,
    "POST oncall:schedule_new": ADMIN_MANAGER,
    "GET oncall:schedule": SIGNED_IN,
    "POST oncall:schedule": NOT_ALLOWED,
    "GET oncall:schedule_edit": ADMIN_MANAGER,
    "POST oncall:schedule_edit": ADMIN_MANAGER,
    "GET oncall:schedule_delete": NOT_ALLOWED,
    "POST oncall:schedule_delete": ADMIN_MANAGER,
    "GET oncall:layer_new": ADMIN_MANAGER,
    "POST oncall:layer_new": ADMIN_MANAGER,
    "GET oncall:layer_edit": ADMIN_MANAGER,
    "POST oncall:layer_edit": ADMIN_MANAGER,
    "GET oncall:layer_delete": NOT_ALLOWED,
    "POST oncall:layer_delete": ADMIN_MANAGER,
    "GET oncall:override_new": SIGNED_IN,
    "POST oncall:override_new": SIGNED_IN,
    "GET oncall:override_delete": NOT_ALLOWED,
    "POST oncall:override_delete": ADMIN_MANAGER,
    "GET oncall:swap_new": SIGNED_IN,
    "POST oncall:swap_new": SIGNED_IN,
    "GET oncall:schedule_feed_issue": NOT_ALLOWED,
    "POST oncall:schedule_feed_issue": ADMIN_MANAGER,
    "GET oncall:schedule_feed_revoke": NOT_ALLOWED,
    "POST oncall:schedule_feed_revoke": ADMIN_MANAGER,
    "GET oncall:time_off": SIGNED_IN,
    "POST oncall:time_off": SIGNED_IN,
    "GET oncall:time_off_delete": NOT_ALLOWED,
    "POST oncall:time_off_delete": ADMIN_MANAGER,
    "GET oncall:person_feed_issue": NOT_ALLOWED,
    "POST oncall:person_feed_issue": SIGNED_IN,
    "GET oncall:person_feed": PUBLIC,
    "POST oncall:person_feed": PUBLIC,
    "GET oncall:schedule_feed": PUBLIC,
    "POST oncall:schedule_feed": PUBLIC,
    "GET oncall:pages": SIGNED_IN,
    "POST oncall:pages": NOT_ALLOWED,
    "GET oncall:page_new": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST oncall:page_new": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET oncall:page": SIGNED_IN,
    "POST oncall:page": NOT_ALLOWED,
    "GET oncall:page_acknowledge": NOT_ALLOWED,
    "POST oncall:page_acknowledge": SIGNED_IN,
    "GET oncall:page_resolve": NOT_ALLOWED,
    "POST oncall:page_resolve": SIGNED_IN,
    "GET oncall:page_link": PUBLIC,
    "POST oncall:page_link": PUBLIC,
    "GET oncall:policies": SIGNED_IN,
    "POST oncall:policies": NOT_ALLOWED,
    "GET oncall:policy_new": ADMIN_MANAGER,
    "POST oncall:policy_new": ADMIN_MANAGER,
    "GET oncall:policy_edit": ADMIN_MANAGER,
    "POST oncall:policy_edit": ADMIN_MANAGER,
    "GET oncall:policy_delete": NOT_ALLOWED,
    "POST oncall:policy_delete": ADMIN_MANAGER,
    "GET oncall:now_panel": SIGNED_IN,
    "POST oncall:now_panel": NOT_ALLOWED,
    "GET governance:home": ADMIN_MANAGER,
    "POST governance:home": NOT_ALLOWED,
    "GET notifications:list": SIGNED_IN,
    "POST notifications:list": NOT_ALLOWED,
    "GET notifications:read": NOT_ALLOWED,
    "POST notifications:read": ADMIN_ONLY,
    "GET notifications:read_all": NOT_ALLOWED,
    "POST notifications:read_all": SIGNED_IN,
    "GET notifications:contact_methods": SIGNED_IN,
    "POST notifications:contact_methods": SIGNED_IN,
    "GET notifications:contact_method_rules": NOT_ALLOWED,
    "POST notifications:contact_method_rules": ADMIN_ONLY,
    "GET notifications:contact_method_test": NOT_ALLOWED,
    "POST notifications:contact_method_test": ADMIN_ONLY,
    "GET notifications:contact_method_remove": NOT_ALLOWED,
    "POST notifications:contact_method_remove": ADMIN_ONLY,
    "GET core:today": SIGNED_IN,
    "POST core:today": NOT_ALLOWED,
    "GET core:today_cards": SIGNED_IN,
    "POST core:today_cards": NOT_ALLOWED,
    "GET core:login": PUBLIC,
    "POST core:login": PUBLIC,
    "GET core:signin_verify": PUBLIC,
    "POST core:signin_verify": PUBLIC,
    "GET core:two_factor_enrol": SIGNED_IN,
    "POST core:two_factor_enrol": SIGNED_IN,
    "GET core:logout": NOT_ALLOWED,
    "POST core:logout": PUBLIC,
    "GET core:password_reset": PUBLIC,
    "POST core:password_reset": PUBLIC,
    "GET core:password_reset_sent": PUBLIC,
    "POST core:password_reset_sent": NOT_ALLOWED,
    "GET core:password_reset_confirm": PUBLIC,
    "POST core:password_reset_confirm": PUBLIC,
    "GET core:password_reset_done": PUBLIC,
    "POST core:password_reset_done": NOT_ALLOWED,
    "GET core:area_knowledge": SIGNED_IN,
    "POST core:area_knowledge": SIGNED_IN,
    "GET core:team": SIGNED_IN,
    "POST core:team": NOT_ALLOWED,
    "GET core:person": SIGNED_IN,
    "POST core:person": SIGNED_IN,
    "GET core:membership_revoke": NOT_ALLOWED,
    "POST core:membership_revoke": ADMIN_ONLY,
    "GET core:team_detail": SIGNED_IN,
    "POST core:team_detail": ADMIN_MANAGER,
    "GET core:brand": SIGNED_IN,
    "POST core:brand": NOT_ALLOWED,
    "GET core:channel_group": SIGNED_IN,
    "POST core:channel_group": NOT_ALLOWED,
    "GET core:audit": ADMIN_MANAGER,
    "POST core:audit": ADMIN_MANAGER,
    "GET core:audit_export": ADMIN_ONLY,
    "POST core:audit_export": ADMIN_ONLY,
    "GET core:audit_event": ADMIN_MANAGER,
    "POST core:audit_event": ADMIN_MANAGER,
    "GET core:settings": SIGNED_IN,
    "POST core:settings": SIGNED_IN,
    "GET core:org_two_factor": NOT_ALLOWED,
    "POST core:org_two_factor": ADMIN_ONLY,
    "GET core:org_alt_text": NOT_ALLOWED,
    "POST core:org_alt_text": ADMIN_ONLY,
    "GET core:feed_issue": NOT_ALLOWED,
    "POST core:feed_issue": SIGNED_IN,
    "GET core:feed_revoke": NOT_ALLOWED,
    "POST core:feed_revoke": SIGNED_IN,
    "GET core:healthz": PUBLIC,
    "POST core:healthz": PUBLIC,
    "GET /api/v1/me": SIGNED_IN,
    "GET /api/v1/users": SIGNED_IN,
    "GET /api/v1/users/{user_id}": SIGNED_IN,
    "GET /api/v1/memberships": SIGNED_IN,
    "POST /api/v1/memberships": ADMIN_ONLY,
    "GET /api/v1/memberships/{membership_id}": SIGNED_IN,
    "DELETE /api/v1/memberships/{membership_id}": ADMIN_ONLY,
    "GET /api/v1/teams": SIGNED_IN,
    "GET /api/v1/teams/{team_id}": SIGNED_IN,
    "GET /api/v1/brands": SIGNED_IN,
    "GET /api/v1/brands/{brand_id}": SIGNED_IN,
    "GET /api/v1/channel-groups": SIGNED_IN,
    "GET /api/v1/channel-groups/{channel_group_id}": SIGNED_IN,
    "GET /api/v1/inbox/conversations": SIGNED_IN,
    "GET /api/v1/inbox/conversations/{conversation_id}": SIGNED_IN,
    "POST /api/v1/inbox/conversations/{conversation_id}/replies": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST /api/v1/inbox/conversations/{conversation_id}/assignee": _roles(
        ADMIN, MANAGER, COMMUNITY
    ),
    "PUT /api/v1/inbox/conversations/{conversation_id}/tags": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST /api/v1/inbox/conversations/{conversation_id}/status": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST /api/v1/inbox/conversations/{conversation_id}/labels": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST /api/v1/inbox/messages/{message_id}/hide": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST /api/v1/inbox/messages/{message_id}/unhide": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET /api/v1/inbox/classifier": SIGNED_IN,
    "PUT /api/v1/inbox/classifier": ADMIN_ONLY,
    "GET /api/v1/inbox/moderation-rules": SIGNED_IN,
    "POST /api/v1/inbox/moderation-rules": ADMIN_MANAGER,
    "GET /api/v1/inbox/moderation-rules/{rule_id}": SIGNED_IN,
    "PUT /api/v1/inbox/moderation-rules/{rule_id}": ADMIN_MANAGER,
    "DELETE /api/v1/inbox/moderation-rules/{rule_id}": ADMIN_MANAGER,
    "GET /api/v1/posts": SIGNED_IN,
    "POST /api/v1/posts": _roles(ADMIN, MANAGER, PUBLISHER),
    "GET /api/v1/posts/{post_id}": SIGNED_IN,
    "PATCH /api/v1/posts/{post_id}": ADMIN_MANAGER,
    "POST /api/v1/posts/{post_id}/schedule": ADMIN_MANAGER,
    "PUT /api/v1/posts/{post_id}/media": ADMIN_MANAGER,
    "POST /api/v1/posts/{post_id}/submit": ADMIN_MANAGER,
    "POST /api/v1/posts/{post_id}/approve": _roles(APPROVER),
    "POST /api/v1/posts/{post_id}/reject": _roles(APPROVER),
    "GET /api/v1/posts/{post_id}/variants": SIGNED_IN,
    "PATCH /api/v1/variants/{variant_id}": ADMIN_MANAGER,
    "POST /api/v1/variants/{variant_id}/check": ADMIN_MANAGER,
    "POST /api/v1/variants/{variant_id}/mark-published": ADMIN_MANAGER,
    "POST /api/v1/variants/{variant_id}/send-again": ADMIN_MANAGER,
    "GET /api/v1/media": SIGNED_IN,
    "POST /api/v1/media": SIGNED_IN,
    "GET /api/v1/media/{asset_id}": SIGNED_IN,
    "PATCH /api/v1/media/{asset_id}": _roles(ADMIN, MANAGER, PUBLISHER),
    "GET /api/v1/incidents": SIGNED_IN,
    "POST /api/v1/incidents": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET /api/v1/incidents/{incident_id}": SIGNED_IN,
    "PATCH /api/v1/incidents/{incident_id}": _roles(ADMIN, MANAGER, COMMUNITY),
    "POST /api/v1/incidents/{incident_id}/notes": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET /api/v1/crisis-mode": SIGNED_IN,
    "POST /api/v1/crisis-mode": ADMIN_MANAGER,
    "DELETE /api/v1/crisis-mode": ADMIN_MANAGER,
    "GET /api/v1/listening/monitors": SIGNED_IN,
    "POST /api/v1/listening/monitors": ADMIN_MANAGER,
    "GET /api/v1/listening/monitors/{monitor_id}": SIGNED_IN,
    "PATCH /api/v1/listening/monitors/{monitor_id}": ADMIN_MANAGER,
    "DELETE /api/v1/listening/monitors/{monitor_id}": ADMIN_MANAGER,
    "GET /api/v1/listening/monitors/{monitor_id}/matches": SIGNED_IN,
    "GET /api/v1/listening/alerts": SIGNED_IN,
    "GET /api/v1/listening/alerts/{alert_id}": SIGNED_IN,
    "GET /api/v1/oncall/schedules": SIGNED_IN,
    "POST /api/v1/oncall/schedules": ADMIN_MANAGER,
    "GET /api/v1/oncall/schedules/{schedule_id}": SIGNED_IN,
    "GET /api/v1/oncall/schedules/{schedule_id}/coverage": SIGNED_IN,
    "GET /api/v1/oncall/now": SIGNED_IN,
    "GET /api/v1/oncall/schedules/{schedule_id}/overrides": SIGNED_IN,
    "POST /api/v1/oncall/schedules/{schedule_id}/overrides": ADMIN_MANAGER,
    "DELETE /api/v1/oncall/schedules/{schedule_id}/overrides/{override_id}": ADMIN_MANAGER,
    "GET /api/v1/me/contact-methods": SIGNED_IN,
    "POST /api/v1/me/contact-methods": SIGNED_IN,
    "PATCH /api/v1/me/contact-methods/{contact_method_id}": ADMIN_ONLY,
    "DELETE /api/v1/me/contact-methods/{contact_method_id}": ADMIN_ONLY,
    "POST /api/v1/me/contact-methods/{contact_method_id}/test": ADMIN_ONLY,
    "GET /api/v1/pages": SIGNED_IN,
    "POST /api/v1/pages": _roles(ADMIN, MANAGER, COMMUNITY),
    "GET /api/v1/pages/{page_id}": SIGNED_IN,
    "POST /api/v1/pages/{page_id}/acknowledge": SIGNED_IN,
    "POST /api/v1/pages/{page_id}/resolve": SIGNED_IN,
    "GET /api/v1/escalation-policies": SIGNED_IN,
    "POST /api/v1/escalation-policies": ADMIN_MANAGER,
    "GET /api/v1/escalation-policies/{policy_id}": SIGNED_IN,
    "PUT /api/v1/escalation-policies/{policy_id}": ADMIN_MANAGER,
    "DELETE /api/v1/escalation-policies/{policy_id}": ADMIN_MANAGER,
    # Analytics: every role sees the dashboards (of their channels); leads choose the
    # definitions.
    "GET analytics:overview": EVERYONE,
    "POST analytics:overview": NOT_ALLOWED,
    "GET analytics:network": EVERYONE,
    "POST analytics:network": NOT_ALLOWED,
    "GET analytics:channel": EVERYONE,
    "POST analytics:channel": NOT_ALLOWED,
    "GET analytics:campaign": EVERYONE,
    "POST analytics:campaign": NOT_ALLOWED,
    "GET analytics:community": EVERYONE,
    "POST analytics:community": NOT_ALLOWED,
    "GET analytics:publishing": EVERYONE,
    "POST analytics:publishing": NOT_ALLOWED,
    "GET analytics:definitions": EVERYONE,
    "POST analytics:definitions": ADMIN_MANAGER,
    # Analytics: competitors (everyone who sees figures compares; leads and analysts track).
    "GET analytics:competitors": SIGNED_IN,
    "POST analytics:competitors": _roles(ADMIN, MANAGER, ANALYST),
    "GET analytics:competitor_remove": NOT_ALLOWED,
    "POST analytics:competitor_remove": _roles(ADMIN, MANAGER, ANALYST),
    # Analytics: exports of any dashboard (each person's own organisation and channels),
    # metrics, and scheduled reports (leads and analysts).
    "GET analytics:export_csv": SIGNED_IN,
    "POST analytics:export_csv": NOT_ALLOWED,
    "GET analytics:export_pdf": SIGNED_IN,
    "POST analytics:export_pdf": NOT_ALLOWED,
    "GET analytics:reports": _roles(ADMIN, MANAGER, ANALYST),
    "POST analytics:reports": _roles(ADMIN, MANAGER, ANALYST),
    "GET analytics:report": _roles(ADMIN, MANAGER, ANALYST),
    "POST analytics:report": _roles(ADMIN, MANAGER, ANALYST),
    "GET analytics:report_pause": NOT_ALLOWED,
    "POST analytics:report_pause": _roles(ADMIN, MANAGER, ANALYST),
    "GET analytics:report_resume": NOT_ALLOWED,
    "POST analytics:report_resume": _roles(ADMIN, MANAGER, ANALYST),
    "GET analytics:report_delete": NOT_ALLOWED,
    "POST analytics:report_delete": _roles(ADMIN, MANAGER, ANALYST),
    "GET /api/v1/analytics/post-metrics": SIGNED_IN,
    "GET /api/v1/analytics/post-metrics/{variant_id}": SIGNED_IN,
    "GET /api/v1/analytics/channel-days": SIGNED_IN,
    "GET /api/v1/analytics/dashboards": SIGNED_IN,
    "GET /api/v1/analytics/dashboards/{kind}": SIGNED_IN,
    "GET /api/v1/analytics/dashboards/{kind}/csv": SIGNED_IN,
    "GET /api/v1/analytics/dashboards/{kind}/pdf": SIGNED_IN,
    "GET /api/v1/analytics/reports": _roles(ADMIN, MANAGER, ANALYST),
    "POST /api/v1/analytics/reports": _roles(ADMIN, MANAGER, ANALYST),
    "GET /api/v1/analytics/reports/{report_id}": _roles(ADMIN, MANAGER, ANALYST),
    "PATCH /api/v1/analytics/reports/{report_id}": _roles(ADMIN, MANAGER, ANALYST),
    "DELETE /api/v1/analytics/reports/{report_id}": _roles(ADMIN, MANAGER, ANALYST),
    "POST /api/v1/analytics/reports/{report_id}/pause": _roles(ADMIN, MANAGER, ANALYST),
    "POST /api/v1/analytics/reports/{report_id}/resume": _roles(ADMIN, MANAGER, ANALYST),
}

# Forms whose empty post is refused before the permission gate is reached ("Unknown
# action."): the smallest post that reaches it.
FORM_DATA: dict[str, dict[str, str]] = {
    "POST channels:status": {"status": "paused"},
    "POST publishing:campaign_action": {"action": "hold"},
    "POST inbox:settings_rule_move": {"direction": "down"},
    "POST inbox:message_moderate": {"action": "hide"},
    "POST inbox:settings_moderation_switch": {"enabled": "0"},
    "POST approvals:workflow_step_move": {"direction": "up"},
    "POST listening:feeds": {"url": "https://feeds.example/news.xml"},
    "POST inbox:act": {"action": "close"},
}

# Path parameters whose value is no object of the organisation: a bearer secret, or a
# network of the platform catalogue (shared by every organisation).
# ("kind": a dashboard's kind, which every organisation has, each with its own figures.)
# ("pick_id": a choice kept in the person's own session; "network": a connector.)
NOT_THE_ORGANISATIONS = {"token", "uidb64", "webhook_id", "key", "kind", "pick_id", "network"}


@dataclass(frozen=True)
class Endpoint:
    key: str  # "GET core:team" or "GET /api/v1/posts/{post_id}"
    method: str
    path: str
    has_object: bool
    is_api: bool


def _url_patterns() -> Iterator[tuple[str, str, list[str]]]:
    """(name or route, route with <param> placeholders, parameter names) of every pattern
    in the URL conf, except the API's operations (the OpenAPI schema lists those)."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                yield from walk(entry, prefix + str(entry.pattern), full)
            elif isinstance(entry, URLPattern):
                if getattr(entry.callback, "__module__", "") == "ninja.operation":
                    continue
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                yield (name or f"/{route}", route)

    for name, route in walk(get_resolver(), "", ""):
        params = [p.split(":")[-1] for p in re.findall(r"<([^>]+)>", route)]
        yield name, route, params


def _api_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def all_endpoint_keys() -> list[str]:
    keys = []
    for name, _route, _params in _url_patterns():
        keys += [f"GET {name}", f"POST {name}"]
    keys += [f"{method} {path}" for method, path, _op in _api_operations()]
    return keys


# -- the objects of the demo organisation each parameter names -------------------------


class Objects:
    """The ids and secrets of the demo organisation that fill the URLs' parameters."""

    def __init__(self, org: Organization, people: dict[str, User]) -> None:
        self.org = org
        self.people = people
        self.values = self._collect()
        ada = people[ADMIN].pk
        self.body_ids = {
            "user_id": ada,
            "assignee_id": ada,
            "person_id": ada,
            "owner_id": ada,
            "leaver_id": people[ANALYST].pk,
            "successor_id": people[MANAGER].pk,
            "channel_id": self.values["channel_id"],
            "brand_id": self.values["brand_id"],
            "media_id": self.values["asset_id"],
        }

    def _collect(self) -> dict[str, Any]:
        from django.apps import apps

        from roost.analytics.models import Competitor
        from roost.channels.models import Channel
        from roost.core.feed_tokens import feed_token_issue
        from roost.core.models import Brand, ChannelGroup, Team
        from roost.crisis.models import CrisisMode, Playbook
        from roost.crisis.services import incident_open
        from roost.inbox.models import (
            Conversation,
            Message,
            ModerationRule,
            RoutingRule,
            SavedFilter,
            SavedReply,
            SlaPolicy,
            WebhookReceipt,
        )
        from roost.listening.models import Alert, Feed, Monitor
        from roost.media.models import MediaAsset, Rendition
        from roost.oncall.models import EscalationPolicy, Layer, Override, Schedule, TimeOff
        from roost.oncall.paging.links import page_link_create
        from roost.oncall.paging.services import page_raise
        from roost.oncall.schedules.services import schedule_feed_issue
        from roost.publishing.approval_models import ApprovalRequest, ApprovalStep, ApprovalWorkflow
        from roost.publishing.models import Campaign, ComplianceRule, Post, PostState, Variant
        from roost.sandbox.models import SandboxAccount, SandboxInbound, SandboxMail, SandboxPost

        # By label: the notifications app's tests build on core's, not the other way.
        ContactMethod = apps.get_model("notifications", "ContactMethod")
        Notification = apps.get_model("notifications", "Notification")

        org, ada = self.org, self.people[ADMIN]
        now = timezone.now()
        group = ChannelGroup.objects.get(organization=org, name="Consumer EMEA")
        channel = Channel.objects.filter(organization=org, channel_group=group).first()
        assert channel is not None
        in_group = Post.objects.filter(
            organization=org, variants__channel__channel_group=group
        ).order_by("pk")
        # A draft, so that editing is judged by the gate and not refused for its state;
        # and a post awaiting approval for the approvers' endpoints.
        post = in_group.filter(state=PostState.DRAFT).first() or in_group.first()
        assert post is not None
        awaiting = Post.objects.filter(
            organization=org, approval_requests__status=ApprovalRequest.Status.PENDING
        ).first()
        assert awaiting is not None
        conversation = (
            Conversation.objects.filter(organization=org, channel__channel_group=group).first()
            or Conversation.objects.filter(organization=org).first()
        )
        assert conversation is not None
        schedule = Schedule.objects.filter(organization=org).first()
        assert schedule is not None
        workflow = ApprovalWorkflow.objects.filter(organization=org).first()
        assert workflow is not None
        monitor = Monitor.objects.filter(organization=org).first()
        assert monitor is not None
        policy = EscalationPolicy.objects.filter(organization=org).first()
        assert policy is not None

        asset = MediaAsset.objects.filter(organization=org).first() or _an_image(org, ada)
        rendition = Rendition.objects.filter(asset=asset).first() or Rendition.objects.create(
            organization=org,
            asset=asset,
            network="instagram",
            placement="feed_square",
            width=1080,
            height=1080,
        )
        incident = incident_open(organization=org, title="Sweep", severity="sev3", actor=ada)
        page = page_raise(actor=SYSTEM, organization=org, title="Sweep page", policy=policy)
        account = SandboxAccount.objects.using("sandbox").first()
        assert account is not None
        sandbox_post = SandboxPost.objects.using("sandbox").filter(account=account).first()
        sandbox_inbound = SandboxInbound.objects.using("sandbox").select_related("account").first()
        assert sandbox_inbound is not None
        mail = SandboxMail.objects.using("sandbox").create(
            organization_id=org.pk, recipient=ada.email, subject="Sweep", body="Sweep"
        )
        token = token_create(user=ada, name="Sweep", scopes=[Scope.USERS_READ.value])
        values: dict[str, Any] = {
            "alert_id": Alert.objects.create(
                organization=org,
                monitor=monitor,
                signal="volume",
                window_start=now - dt.timedelta(hours=1),
                window_end=now,
                observed=10,
                expected=1,
                factor=10,
                summary="Sweep alert",
            ).pk,
            "asset_id": asset.pk,
            "rendition_id": rendition.pk,
            "brand_id": Brand.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "competitor_id": Competitor.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "campaign_id": Campaign.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "channel_group_id": group.pk,
            "channel_id": channel.pk,
            "contact_method_id": ContactMethod.objects.filter(person=ada).first().pk,  # type: ignore[union-attr]
            "conversation_id": conversation.pk,
            "crisis_id": CrisisMode.objects.create(
                organization=org,
                scope="organization",
                reason="Sweep",
                started_by=ada,
                ended_by=ada,
                ended_at=now,
            ).pk,
            "event_id": AuditEvent.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "feed_id": Feed.objects.create(organization=org, url="https://feeds.example/a").pk,
            "incident_id": incident.pk,
            "layer_id": Layer.objects.filter(schedule=schedule).first().pk,  # type: ignore[union-attr]
            "mail_id": mail.pk,
            "membership_id": Membership.objects.filter(user=self.people[VIEWER]).first().pk,  # type: ignore[union-attr]
            "message_id": Message.objects.filter(conversation=conversation).first().pk,  # type: ignore[union-attr]
            "monitor_id": monitor.pk,
            "notification_id": Notification.objects.create(
                organization=org, recipient=ada, subject="Sweep"
            ).pk,
            "override_id": Override.objects.create(
                organization=org,
                schedule=schedule,
                person=ada,
                start=now + dt.timedelta(days=2),
                end=now + dt.timedelta(days=3),
            ).pk,
            "page_id": page.pk,
            "playbook_id": Playbook.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "post_id": post.pk,
            "receipt_id": WebhookReceipt.objects.create(organization=org, outcome="failed").pk,
            "saved_filter_id": SavedFilter.objects.create(
                organization=org, owner=ada, name="Sweep", query={}
            ).pk,
            "saved_reply_id": SavedReply.objects.create(
                organization=org, title="Sweep", text="Thanks!"
            ).pk,
            "schedule_id": schedule.pk,
            "step_id": ApprovalStep.objects.filter(workflow=workflow).first().pk,  # type: ignore[union-attr]
            "team_id": Team.objects.filter(organization=org).first().pk,  # type: ignore[union-attr]
            "time_off_id": TimeOff.objects.create(
                organization=org,
                person=ada,
                start=now + dt.timedelta(days=5),
                end=now + dt.timedelta(days=6),
            ).pk,
            "token_id": token.token.pk,
            "user_id": self.people[VIEWER].pk,
            "variant_id": Variant.objects.filter(post=post).first().pk,  # type: ignore[union-attr]
            "workflow_id": workflow.pk,
            "key": "bluesky",
            "network": account.network,
            "handle": account.handle,
            "external_id": sandbox_post.external_id if sandbox_post else "none",
            "webhook_id": "no-such-webhook",
            "uidb64": urlsafe_base64_encode(force_bytes(ada.pk)),
            # Per-URL parameters (same name, different objects) below.
            ("inbox:settings_rule", "rule_id"): RoutingRule.objects.filter(organization=org)
            .first()
            .pk,  # type: ignore[union-attr]
            ("inbox:settings_moderation", "rule_id"): ModerationRule.objects.create(
                organization=org, name="Sweep"
            ).pk,
            ("/api/v1/inbox/moderation-rules", "rule_id"): None,
            ("publishing:compliance", "rule_id"): ComplianceRule.objects.create(
                organization=org, kind="banned_term", value="sweep"
            ).pk,
            ("inbox:settings_policy", "policy_id"): SlaPolicy.objects.filter(organization=org)
            .first()
            .pk,  # type: ignore[union-attr]
            ("oncall:policy", "policy_id"): policy.pk,
            ("/api/v1/escalation-policies", "policy_id"): policy.pk,
            ("channels:network", "network"): "threads",
            ("channels:network_pick", "pick_id"): "no-such-choice",
            ("media:published", "token"): "no-such-token",
            ("sandbox:network_message", "external_id"): sandbox_inbound.external_id,
            ("sandbox:network_message", "network"): sandbox_inbound.account.network,
            ("sandbox:network_message", "handle"): sandbox_inbound.account.handle,
            ("publishing:calendar_feed", "token"): feed_token_issue(user=ada),
            ("oncall:person_feed", "token"): feed_token_issue(user=ada),
            ("oncall:schedule_feed", "token"): schedule_feed_issue(actor=ada, schedule=schedule),
            ("oncall:page_link", "token"): page_link_create(
                page=page, person=ada, purpose="acknowledge"
            ),
            ("core:password_reset_confirm", "token"): default_token_generator.make_token(ada),
            ("approvals:", "post_id"): awaiting.pk,
            ("/api/v1/posts/{post_id}/approve", "post_id"): awaiting.pk,
            ("/api/v1/posts/{post_id}/reject", "post_id"): awaiting.pk,
        }
        values.update(self._governance(org, ada, now))
        values.update(self._analytics(org, ada, values["channel_id"]))
        values[("/api/v1/inbox/moderation-rules", "rule_id")] = values[
            ("inbox:settings_moderation", "rule_id")
        ]
        return values

    def _analytics(self, org: Organization, ada: User, channel_id: int) -> dict[Any, Any]:
        """A scheduled report, a published post with figures on the channel, and the
        dashboard kind that exports are asked for."""
        from roost.analytics.models import ScheduledReport
        from roost.analytics.record import PostReading, post_reading_record
        from roost.channels.models import Channel
        from roost.publishing.models import Post, PostState, Variant, VariantState

        report = ScheduledReport.objects.create(
            organization=org, name="Sweep report", dashboard=SWEEP_DASHBOARD, frequency="weekly",
            recipients=["sweep@northwind.example"], created_by=ada,
        )  # fmt: skip
        channel = Channel.objects.get(pk=channel_id)
        post = Post.objects.create(
            organization=org, author=ada, master_text="Sweep", state=PostState.PUBLISHED
        )
        variant = Variant.objects.create(
            organization=org, post=post, channel=channel, text="Sweep",
            state=VariantState.PUBLISHED, external_id="sweep-metrics",
            idempotency_key="sweep-metrics", published_at=timezone.now(),
        )  # fmt: skip
        post_reading_record(
            variant=variant, reading=PostReading(impressions=10), read_at=timezone.now()
        )
        return {
            "report_id": report.pk,
            "kind": SWEEP_DASHBOARD,
            ("/api/v1/analytics/post-metrics", "variant_id"): variant.pk,
        }

    def _governance(self, org: Organization, ada: User, now: dt.datetime) -> dict[Any, Any]:
        """Objects of the security pages: an offboarding with its rotation tasks, an
        access review, an invitation and its link, a security key, an identity provider
        with a group mapping, and an audit stream destination."""
        from django.apps import apps

        from roost.core import services
        from roost.governance.offboarding.models import CredentialRotationTask
        from roost.governance.offboarding.services import offboarding_run
        from roost.governance.reviews.models import ReviewItem
        from roost.governance.reviews.services import campaign_start

        # By label: core's tests stay clear of core's own sub-apps (no import cycle).
        AuditStreamDestination = apps.get_model("audit_stream", "AuditStreamDestination")
        Invitation = apps.get_model("invitations", "Invitation")
        GroupRoleMapping = apps.get_model("signin_methods", "GroupRoleMapping")
        IdentityProvider = apps.get_model("signin_methods", "IdentityProvider")
        SecurityKey = apps.get_model("signin_methods", "SecurityKey")

        leaver = services.user_create(
            organization=org, actor=SYSTEM, email="sweep.leaver@northwind.example",
            name="Sweep Leaver",
        )  # fmt: skip
        offboarding = offboarding_run(actor=ada, leaver=leaver, successor=self.people[MANAGER])
        task = CredentialRotationTask.objects.filter(organization=org).first()
        review = campaign_start(
            actor=ada, organization=org, name="Sweep review", due_at=now + dt.timedelta(days=7),
            channel_groups=None, include_organization_wide=True,
        )  # fmt: skip
        item = ReviewItem.objects.filter(campaign=review).first()
        # The link's secret is kept only as its SHA-256 digest.
        link = "inv_sweep-invitation-link"
        invitation = Invitation.objects.create(
            organization=org, email="sweep.link@northwind.example",
            token_digest=hashlib.sha256(link.encode()).hexdigest(), invited_by=ada,
            created_at=now, expires_at=now + dt.timedelta(days=7), valid_days=7,
        )  # fmt: skip
        apps.get_model("invitations", "InvitationGrant").objects.create(
            organization=org, invitation=invitation, role=Role.VIEWER
        )
        provider = IdentityProvider.objects.create(
            organization=org, name="Sweep IdP", issuer="https://idp.example", client_id="roost"
        )
        return {
            "offboarding_id": offboarding.pk,
            "task_id": task.pk if task else 0,
            ("access_reviews:", "campaign_id"): review.pk,
            ("/api/v1/access-reviews/campaigns", "campaign_id"): review.pk,
            "item_id": item.pk if item else 0,
            "invitation_id": invitation.pk,
            ("invitations:accept", "token"): link,
            # Someone else's: a key of a role's own person would make every page of
            # theirs ask for it first.
            "key_id": SecurityKey.objects.create(
                user=leaver,
                organization_id=org.pk,
                name="Sweep key",
                confirmed=True,
                credential_id="c3dlZXA",
                public_key=b"not-a-real-key",
            ).pk,
            "provider_id": provider.pk,
            "mapping_id": GroupRoleMapping.objects.create(
                organization=org, provider=provider, group="social", role=Role.VIEWER
            ).pk,
            "destination_id": AuditStreamDestination.objects.create(
                organization=org, kind="webhook", name="Sweep SIEM"
            ).pk,
        }

    def value(self, key: str, param: str) -> Any:
        name = key.split(" ", 1)[1]
        for (prefix, p), value in ((k, v) for k, v in self.values.items() if isinstance(k, tuple)):
            if p == param and name.startswith(prefix):
                return value
        if param not in self.values:
            raise LookupError(f"{key}: no demo object for the parameter {param!r}")
        return self.values[param]


def _an_image(org: Organization, actor: User) -> Any:
    import pyvips
    from django.core.files.uploadedfile import SimpleUploadedFile

    from roost.media.services import media_upload

    blue = [30, 60, 200]
    image = (pyvips.Image.black(64, 48, bands=3) + blue).cast("uchar")
    data = bytes(image.copy(interpretation="srgb").write_to_buffer(".jpg"))
    upload = SimpleUploadedFile("sweep.jpg", data, content_type="image/jpeg")
    return media_upload(actor=actor, organization=org, file=upload, alt_text="A blue square")


# -- asking ---------------------------------------------------------------------------


def _fill(route: str, key: str, objects: Objects) -> str:
    def value(match: re.Match[str]) -> str:
        return str(objects.value(key, match.group(1).split(":")[-1]))

    return "/" + re.sub(r"<([^>]+)>", value, route)


def _fill_api(path: str, key: str, objects: Objects) -> str:
    return re.sub(r"{([^}]+)}", lambda m: str(objects.value(key, m.group(1))), path)


def page_endpoints(objects: Objects) -> list[Endpoint]:
    endpoints = []
    for name, route, params in _url_patterns():
        path = _fill(route, f"GET {name}", objects)
        has_object = any(p not in NOT_THE_ORGANISATIONS for p in params)
        for method in ("GET", "POST"):
            endpoints.append(Endpoint(f"{method} {name}", method, path, has_object, False))
    return endpoints


def api_endpoints(objects: Objects) -> list[Endpoint]:
    endpoints = []
    for method, path, operation in _api_operations():
        key = f"{method} {path}"
        filled = _fill_api(path, key, objects)
        has_object = "{" in path and not path.startswith("/api/v1/me/")
        params = re.findall(r"{([^}]+)}", path)
        everyones = bool(params) and all(p in NOT_THE_ORGANISATIONS for p in params)
        endpoints.append(
            Endpoint(key, method, filled, (has_object or "{" in path) and not everyones, True)
        )
        del operation
    return endpoints


def _minimal_body(operation: dict[str, Any], schema: dict[str, Any], ids: dict[str, int]) -> Any:
    """The smallest JSON body the operation's schema accepts: each required field with a
    plain value of its type, an id field with the id of a demo object (`ids`, by field
    name without its `s`), so that the service, not a missing object, judges it."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _example(content["application/json"]["schema"], schema, ids)


def _example(
    node: dict[str, Any],
    schema: dict[str, Any],
    ids: dict[str, int],
    name: str = "",
    depth: int = 0,
) -> Any:
    if "$ref" in node:
        ref = node["$ref"].rsplit("/", 1)[-1]
        return _example(schema["components"]["schemas"][ref], schema, ids, name, depth + 1)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in node:
            return _example(node[combined][0], schema, ids, name, depth + 1)
    if "enum" in node:
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {
            field: _example(node["properties"][field], schema, ids, field, depth + 1)
            for field in node.get("required", [])
            if depth < 6
        }
    if kind == "array":
        wanted = node.get("minItems", 0)
        item = name.removesuffix("s")
        return [_example(node["items"], schema, ids, item, depth + 1) for _ in range(wanted)]
    if kind == "integer":
        if name.endswith("_id"):
            assert name in ids, f"no demo object for the body field {name!r}"
            return ids[name]
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if node.get("format") == "date-time":
        return (timezone.now() + dt.timedelta(days=1)).isoformat()
    if node.get("format") == "date":
        return (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    return "sweep"


@dataclass
class Principal:
    label: str  # a role, "anonymous" or "another organisation's admin"
    client: Client
    token: str = ""


ANONYMOUS = "anonymous"
STRANGER = "another organisation's admin"


def _signed_in(user: User) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from roost.core.two_factor import two_factor_required

    client = Client()
    client.force_login(user)
    if two_factor_required(user):
        device = TOTPDevice.objects.create(user=user, name="sweep", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _all_scopes_token(user: User) -> str:
    return token_create(user=user, name="Sweep", scopes=[s.value for s in Scope]).secret


def _principals(people: dict[str, User], stranger: User) -> list[Principal]:
    principals = [
        Principal(role, _signed_in(people[role]), _all_scopes_token(people[role])) for role in ROLES
    ]
    principals.append(Principal(ANONYMOUS, Client()))
    principals.append(Principal(STRANGER, _signed_in(stranger), _all_scopes_token(stranger)))
    return principals


def _ask(principal: Principal, endpoint: Endpoint, body: Any) -> tuple[int, str]:
    """(status, where a redirect goes) of one request, every change rolled back."""
    client = principal.client
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {principal.token}"} if endpoint.is_api else {}
    if endpoint.is_api and not principal.token:
        headers = {}
    try:
        with transaction.atomic(using="default"), transaction.atomic(using="sandbox"):
            if endpoint.method == "GET":
                response = client.get(endpoint.path, **headers)
            elif endpoint.is_api:
                response = client.generic(
                    endpoint.method,
                    endpoint.path,
                    data=b"" if body is None else _json(body),
                    content_type="application/json",
                    **headers,
                )
            else:
                form = FORM_DATA.get(endpoint.key, {})
                response = client.post(endpoint.path, data=form, **headers)
            transaction.set_rollback(True, using="default")
            transaction.set_rollback(True, using="sandbox")
    except Exception:
        return 500, traceback.format_exc(limit=-3)
    finally:
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies[name] = value
    return response.status_code, response.get("Location", "")


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


THROUGH = "through"
DENIED = "denied"
SIGN_IN = "sent to sign in"
UNAUTHORISED = "401"
METHOD = "405"
BROKEN = "500"


def _outcome(status: int, location: str) -> str:
    if status >= 500:
        return BROKEN
    if status == 405:
        return METHOD
    if status == 401:
        return UNAUTHORISED
    if status in (403, 404):
        return DENIED
    if status in (301, 302, 303) and location.startswith(reverse("core:login")):
        return SIGN_IN
    return THROUGH


def _who_gets_through(expectation: Expectation) -> frozenset[str]:
    if expectation in (PUBLIC, SIGNED_IN):
        return EVERYONE
    if expectation == NOT_ALLOWED:
        return NOBODY
    assert isinstance(expectation, frozenset)
    return expectation


def _judge(
    endpoint: Endpoint, expectation: Expectation, label: str, status: int, location: str
) -> str | None:
    """What is wrong with one answer, or None."""
    outcome = _outcome(status, location)
    said = f"{endpoint.key} as {label}: {status} {location}".rstrip()
    if outcome == BROKEN:
        return f"{said} (a server error)"
    if expectation == PUBLIC:
        return None  # a bearer secret in the address, or no one to keep out
    if expectation == NOT_ALLOWED:
        return None if outcome in (METHOD, SIGN_IN, UNAUTHORISED) else f"{said}, expected 405"
    if label == ANONYMOUS:
        if expectation == PUBLIC:
            return None
        wanted = UNAUTHORISED if endpoint.is_api else SIGN_IN
        return None if outcome == wanted else f"{said}, expected {wanted}"
    if label == STRANGER:
        if expectation == PUBLIC or not endpoint.has_object:
            return None
        return None if outcome == DENIED else f"{said}, expected 403 or 404"
    through = outcome == THROUGH
    if through != (label in _who_gets_through(expectation)):
        return f"{said}, expected {'through' if not through else '403 or 404'}"
    return None


# -- the tests ------------------------------------------------------------------------


def _describe(expectation_roles: frozenset[str]) -> str:
    if expectation_roles == EVERYONE:
        return "SIGNED_IN"
    if not expectation_roles:
        return "NOBODY"
    if expectation_roles == ADMIN_ONLY:
        return "ADMIN_ONLY"
    if expectation_roles == ADMIN_MANAGER:
        return "ADMIN_MANAGER"
    names = {r: r.upper() if r != COMMUNITY else "COMMUNITY" for r in ROLES}
    return "_roles(" + ", ".join(names[r] for r in ROLES if r in expectation_roles) + ")"


def test_every_endpoint_has_an_entry() -> None:
    keys = all_endpoint_keys()
    missing = [key for key in keys if key not in EXPECTED]
    stale = sorted(set(EXPECTED) - set(keys))
    assert not missing, (
        "Endpoints without an entry in EXPECTED (roost/core/tests/test_authorization_sweep.py);"
        " add, with the roles that get through:\n"
        + "\n".join(f'    "{key}": ...,' for key in missing)
    )
    assert not stale, f"Entries for endpoints that no longer exist: {stale}"


def _worth_asking(endpoint: Endpoint, expectation: Expectation | None, label: str) -> bool:
    """Leave out the requests whose answer the table does not judge, to keep the sweep
    fast: a method nobody may use is asked of one person and a stranger; another
    organisation's admin is asked only about the demo's own objects."""
    if expectation == NOT_ALLOWED:
        return label in (ADMIN, ANONYMOUS)
    if label == STRANGER:
        return endpoint.has_object and expectation != PUBLIC
    return True


def _people(org: Organization) -> dict[str, User]:
    by_role: dict[str, User] = {}
    for person in PEOPLE:
        by_role.setdefault(person.role.value, User.objects.get(email=person.email))
    assert set(by_role) == set(ROLES), "the demo has a person for every role"
    # Each person answers for their one role: the demo's extra grants (a temporary
    # cover, a second hat for the offboarding walk-through) are set aside here.
    for role, someone in by_role.items():
        Membership.objects.filter(user=someone).exclude(role=role).delete()
    return by_role


def _sweep(endpoints: Callable[[Objects], list[Endpoint]], is_api: bool) -> None:
    from roost.core import services
    from roost.demo import seed_demo_organization

    org = seed_demo_organization()
    people = _people(org)
    other = services.organization_create(name="Elsewhere", slug="elsewhere")
    stranger = services.user_create(
        organization=other,
        actor=SYSTEM,
        email="admin@elsewhere.example",
        name="Elsa Elsewhere",
        password="elsewhere-pass-123",
    )
    services.membership_grant(actor=SYSTEM, user=stranger, role=Role.ADMIN)
    objects = Objects(org, people)
    principals = _principals(people, stranger)
    schema = api.get_openapi_schema()
    problems: list[str] = []
    observed: dict[str, set[str]] = {}
    statuses: dict[str, list[str]] = {}
    for endpoint in endpoints(objects):
        expectation = EXPECTED.get(endpoint.key)
        body = None
        if is_api and endpoint.method != "GET":
            operation = schema["paths"][endpoint.key.split(" ", 1)[1]][endpoint.method.lower()]
            body = _minimal_body(operation, schema, objects.body_ids)
        for principal in principals:
            if not _worth_asking(endpoint, expectation, principal.label):
                continue
            status, location = _ask(principal, endpoint, body)
            statuses.setdefault(endpoint.key, []).append(f"{principal.label}={status}")
            if principal.label in ROLES and _outcome(status, location) == THROUGH:
                observed.setdefault(endpoint.key, set()).add(principal.label)
            if expectation is None:
                if status >= 500:
                    problems.append(f"{endpoint.key} as {principal.label}: {status} {location}")
                continue
            problem = _judge(endpoint, expectation, principal.label, status, location)
            if problem:
                problems.append(problem)
    unlisted = [e.key for e in endpoints(objects) if e.key not in EXPECTED]
    suggestions = "\n".join(
        f'    "{key}": {_describe(frozenset(observed.get(key, ())))},  # {" ".join(statuses[key])}'
        for key in unlisted
    )
    assert not problems, "\n".join(problems) + (
        f"\n\nObserved for the endpoints without an entry:\n{suggestions}" if unlisted else ""
    )
    assert not unlisted, f"Observed for the endpoints without an entry:\n{suggestions}"


@pytest.mark.django_db
def test_every_page_answers_each_role_as_the_table_says() -> None:
    _sweep(page_endpoints, is_api=False)


@pytest.mark.django_db
def test_every_api_operation_answers_each_role_as_the_table_says() -> None:
    _sweep(api_endpoints, is_api=True)


SWEEP_DASHBOARD = "overview"  # exports and reports are asked for this kind
