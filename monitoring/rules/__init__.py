"""The clinical rules of monitoring: pure functions, no Django, "today" passed in."""
