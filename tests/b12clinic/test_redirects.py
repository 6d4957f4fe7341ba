"""Where a `next` may lead: a path on this site, or the fallback."""

import pytest
from django.test import RequestFactory

from b12clinic.core.redirects import safe_next


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/today/?date=2026-01-05", "/today/?date=2026-01-05"),
        ("0", "/dashboard/"),  # junk once reached reverse("0") and gave a 500
        ("dashboard", "/dashboard/"),
        ("//evil.example/", "/dashboard/"),
        ("https://evil.example/", "/dashboard/"),
        ("javascript:alert(1)", "/dashboard/"),
        ("/alerts/x/acknowledge/", "/dashboard/"),  # this page again: a loop
    ],
)
def test_only_a_path_on_this_site_is_followed(target, expected):
    request = RequestFactory().post("/alerts/x/acknowledge/", {"next": target})
    assert safe_next(request, "dashboard") == expected
