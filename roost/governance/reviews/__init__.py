"""Access reviews: campaigns in which each grant is attested, kept or revoked, by the
people who answer for the channel group it is on."""
