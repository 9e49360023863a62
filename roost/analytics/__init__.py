"""Analytics and reports: what the organisation's posts, channels and team achieved."""
