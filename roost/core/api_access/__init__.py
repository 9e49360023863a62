"""What every app's API router builds on, below the apps that use it.

Personal access tokens and their scopes (`tokens`), the bearer authentication and
the scope check a handler makes (`auth`), strict types for request fields
(`fields`), and the problem+json answers the API gives (`problems`); with the
settings page where a person manages their tokens. `roost.api` assembles the
routers of the apps on top of this; no app imports `roost.api`.
"""
