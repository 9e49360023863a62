from django.apps import AppConfig


class AccessReviewsConfig(AppConfig):
    name = "roost.governance.reviews"
    label = "access_reviews"
    verbose_name = "Access reviews"

    def ready(self) -> None:
        from roost.core.hubs import hub_link_declare
        from roost.core.permissions import Action
        from roost.core.today import today_card_declare
        from roost.governance.reviews.today import today_access_reviews

        hub_link_declare(
            area="governance",
            label="Access reviews",
            url_name="access_reviews:campaign_list",
            description="Have each channel group's managers attest who keeps which access.",
            action=Action.ACCESS_REVIEW_RUN,
        )
        hub_link_declare(
            area="governance",
            label="My access reviews",
            url_name="access_reviews:mine",
            description="The grants you are asked to keep or revoke.",
            action=Action.ACCESS_REVIEW_ATTEST,
        )
        today_card_declare(key="access_reviews", order=15, provider=today_access_reviews)
