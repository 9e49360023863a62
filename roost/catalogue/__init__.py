"""The platform catalogue: what each network accepts, as versioned data with sources."""
