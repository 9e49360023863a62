from django.urls import path

from roost.inbox.corrections import views as correction_views
from roost.inbox.views import (
    bulk,
    classifier,
    conversations,
    moderation,
    saved_filters,
    saved_replies,
    split,
)
from roost.inbox.views import presence as presence_views
from roost.inbox.views import reports as report_views
from roost.inbox.views import settings as settings_views

app_name = "inbox"

urlpatterns = [
    path("", conversations.inbox_index, name="index"),
    path("c/<int:conversation_id>/", conversations.conversation_detail, name="conversation"),
    path("c/<int:conversation_id>/act/", conversations.conversation_act, name="act"),
    path("c/<int:conversation_id>/thread/", conversations.conversation_thread, name="thread"),
    path("c/<int:conversation_id>/labels/", correction_views.conversation_labels, name="labels"),
    path("bulk/", bulk.conversations_bulk, name="bulk"),
    # The split inbox: the queue and the open conversation side by side.
    path("work/", split.split_index, name="split"),
    path("work/list/", split.split_list, name="split_list"),
    path("work/<int:conversation_id>/", split.split_conversation, name="split_conversation"),
    path("filters/", saved_filters.saved_filter_add, name="saved_filter_add"),
    path(
        "filters/<int:saved_filter_id>/delete/",
        saved_filters.saved_filter_remove,
        name="saved_filter_delete",
    ),
    path("saved-replies/", saved_replies.saved_reply_index, name="saved_replies"),
    path("saved-replies/<int:saved_reply_id>/", saved_replies.saved_reply_edit, name="saved_reply"),
    path(
        "saved-replies/<int:saved_reply_id>/delete/",
        saved_replies.saved_reply_remove,
        name="saved_reply_delete",
    ),
    path(
        "c/<int:conversation_id>/presence/",
        presence_views.presence_heartbeat,
        name="presence",
    ),
    path(
        "c/<int:conversation_id>/presence/leave/",
        presence_views.presence_leave,
        name="presence_leave",
    ),
    # Inbox settings (routing rules, SLA policies) and reports.
    path("settings/rules/", settings_views.rules_index, name="settings_rules"),
    path("settings/rules/new/", settings_views.rule_create, name="settings_rule_create"),
    path("settings/rules/<int:rule_id>/", settings_views.rule_edit, name="settings_rule_edit"),
    path("settings/rules/<int:rule_id>/move/", settings_views.rule_move, name="settings_rule_move"),
    path(
        "settings/rules/<int:rule_id>/delete/",
        settings_views.rule_delete,
        name="settings_rule_delete",
    ),
    path("settings/sla/", settings_views.policies_index, name="settings_policies"),
    path("settings/sla/new/", settings_views.policy_create, name="settings_policy_create"),
    path("settings/sla/<int:policy_id>/", settings_views.policy_edit, name="settings_policy_edit"),
    path(
        "settings/sla/<int:policy_id>/delete/",
        settings_views.policy_delete,
        name="settings_policy_delete",
    ),
    # What the classifier learned from the team's corrections.
    path("settings/learning/", correction_views.learning_index, name="settings_learning"),
    path(
        "settings/learning/retrain/",
        correction_views.learning_retrain,
        name="settings_learning_retrain",
    ),
    path("m/<int:message_id>/moderate/", moderation.message_moderate, name="message_moderate"),
    path("settings/classifier/", classifier.classifier_settings, name="settings_classifier"),
    path("settings/moderation/", moderation.moderation_rules, name="settings_moderation"),
    path(
        "settings/moderation/<int:rule_id>/",
        moderation.moderation_rule_edit,
        name="settings_moderation_edit",
    ),
    path(
        "settings/moderation/<int:rule_id>/switch/",
        moderation.moderation_rule_switch,
        name="settings_moderation_switch",
    ),
    path(
        "settings/moderation/<int:rule_id>/delete/",
        moderation.moderation_rule_delete,
        name="settings_moderation_delete",
    ),
    path("reports/", report_views.reports_index, name="reports"),
    path("reports/sla-attainment.csv", report_views.reports_csv, name="reports_csv"),
]
