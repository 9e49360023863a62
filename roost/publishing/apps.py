from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "roost.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        # Imported here because models can only be imported once the app registry is ready.
        from roost.channels.published_posts import published_post_finder_declare
        from roost.media.attachments import asset_edited_declare
        from roost.publishing.media_attach import post_media_asset_edited
        from roost.publishing.selectors import published_post_find

        # An edit of a library item on a post is an edit of the post (see
        # `roost.media.attachments`: the library cannot call publishing itself).
        asset_edited_declare(name=self.label, handler=post_media_asset_edited)
        # The inbox shows the post a comment answers (see `roost.channels.published_posts`).
        published_post_finder_declare(name=self.label, finder=published_post_find)
