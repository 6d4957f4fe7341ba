"""The clinical rules of plans: pure functions, no Django, "today" passed in."""
