"""Response-time targets: the clocks (`clocks`) over business hours (`business_hours`),
the policies that set them (`policies`), their upkeep on conversations (`services`) and
the attainment reports (`reports`)."""
