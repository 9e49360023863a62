from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "roost.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        # An edit of a library item on a post is an edit of the post (see
        # `roost.media.attachments`: the library cannot call publishing itself). Imported
        # here because models can only be imported once the app registry is ready.
        from roost.media.attachments import asset_edited_declare
        from roost.publishing.media_attach import post_media_asset_edited

        asset_edited_declare(name=self.label, handler=post_media_asset_edited)
