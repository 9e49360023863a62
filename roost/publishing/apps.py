from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "roost.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.channels.published_posts import published_post_finder_declare
        from roost.core.today import today_card_declare
        from roost.media.attachments import asset_edited_declare
        from roost.publishing.media_attach import post_media_asset_edited
        from roost.publishing.selectors import published_post_find
        from roost.publishing.today import today_approvals, today_going_out, today_needs_person

        # An edit of a library item on a post is an edit of the post (see
        # `roost.media.attachments`: the library cannot call publishing itself).
        asset_edited_declare(name=self.label, handler=post_media_asset_edited)
        # The inbox shows the post a comment answers (see `roost.channels.published_posts`).
        published_post_finder_declare(name=self.label, finder=published_post_find)
        # Today's cards (see `roost.core.today`).
        today_card_declare(key="approvals", order=10, provider=today_approvals)
        today_card_declare(key="going_out", order=30, provider=today_going_out)
        today_card_declare(key="needs_person", order=40, provider=today_needs_person)
