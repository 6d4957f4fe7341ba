"""Every write to patients and plans goes through here, one transaction per call.

Each service validates as if no form had: a bad call raises ValidationError keyed by the field
to correct, and nothing is saved.
"""
