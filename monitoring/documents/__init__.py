"""The written schedule a patient takes home (PDF and calendar file) and the links that share
it. It shows what plans prescribes and what monitoring plans to test, so it stands above both."""
