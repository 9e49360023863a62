"""Who holds which role where: a page per person and per channel, and grants and revokes
in bulk with a preview of their effect. Grants themselves are core's `Membership`."""
