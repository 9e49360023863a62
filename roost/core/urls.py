from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from roost.core.forms import AuditedSetPasswordForm
from roost.core.views import audit_log, preferences, shell, signin, team

app_name = "core"

urlpatterns = [
    path("", shell.today, name="today"),
    path("today/cards/", shell.today_cards_partial, name="today_cards"),
    path("signin/", signin.signin, name="login"),
    path("signin/verify/", signin.signin_verify, name="signin_verify"),
    path("signin/two-factor/", signin.two_factor_enrol, name="two_factor_enrol"),
    path("signout/", signin.signout, name="logout"),
    path(
        "signin/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="core/password_reset.html",
            email_template_name="core/email/password_reset.txt",
            subject_template_name="core/email/password_reset_subject.txt",
            success_url=reverse_lazy("core:password_reset_sent"),
        ),
        name="password_reset",
    ),
    path(
        "signin/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="core/password_reset_sent.html"),
        name="password_reset_sent",
    ),
    path(
        "signin/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="core/password_reset_confirm.html",
            form_class=AuditedSetPasswordForm,
            success_url=reverse_lazy("core:password_reset_done"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "signin/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="core/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("knowledge/", shell.area_view("knowledge"), name="area_knowledge"),
    path("team/", team.team_overview, name="team"),
    path("team/people/<int:user_id>/", team.person_detail, name="person"),
    path(
        "team/memberships/<int:membership_id>/revoke/",
        team.membership_revoke,
        name="membership_revoke",
    ),
    path("team/teams/<int:team_id>/", team.team_detail, name="team_detail"),
    path("team/brands/<int:brand_id>/", team.brand_detail, name="brand"),
    path("team/groups/<int:channel_group_id>/", team.channel_group_detail, name="channel_group"),
    path("governance/audit/", audit_log.audit_page, name="audit"),
    path("governance/audit/export.jsonl", audit_log.audit_export, name="audit_export"),
    path("governance/audit/export.csv", audit_log.audit_export_csv, name="audit_export_csv"),
    path("governance/audit/<int:event_id>/", audit_log.audit_event_detail, name="audit_event"),
    path("settings/", preferences.settings_page, name="settings"),
    path("settings/sign-in-policy/", preferences.organization_two_factor, name="org_two_factor"),
    path("settings/media-policy/", preferences.organization_alt_text, name="org_alt_text"),
    path("settings/calendar-feed/new/", preferences.calendar_feed_issue, name="feed_issue"),
    path("settings/calendar-feed/revoke/", preferences.calendar_feed_revoke, name="feed_revoke"),
    path("healthz", shell.healthz, name="healthz"),
]
