"""Where a new conversation goes: the rules (`rules`), applying the first that matches
(`route`), and the auto-reply a rule sends (`auto_reply`)."""
