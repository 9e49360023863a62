"""Listening: monitors over the inbox and public streams, and what they match."""
