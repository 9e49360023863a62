"""Listening: monitors over the inbox, the public Bluesky stream and news feeds, and the
detector that raises alerts when a monitor's volume or negative share rises."""
