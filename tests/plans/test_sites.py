"""Site suggestion: always a different site that fits the route, never one not recommended."""

from hypothesis import given
from hypothesis import strategies as st

from plans.rules.sites import NOT_RECOMMENDED, SITES_FOR_ROUTE, allowed_sites, suggest_site

ROUTES = st.sampled_from(["IM", "SC"])
ANY_SITE = st.sampled_from(
    ["deltoid", "vastus_lateralis", "ventrogluteal", "dorsogluteal", "abdomen", "", "elbow"]
)
ANY_SIDE = st.sampled_from(["left", "right", "", "middle"])


@given(route=ROUTES, last_site=st.none() | ANY_SITE, last_side=st.none() | ANY_SIDE)
def test_the_suggestion_fits_the_route_and_differs_from_the_last_site(route, last_site, last_side):
    suggestion = suggest_site(route=route, last_site=last_site, last_side=last_side)

    assert suggestion.site in allowed_sites(route)
    assert suggestion.site not in NOT_RECOMMENDED
    assert suggestion.side in ("left", "right")
    assert (suggestion.site, suggestion.side) != (last_site, last_side)


def test_the_same_muscle_on_the_other_side_is_suggested():
    assert suggest_site(route="IM", last_site="deltoid", last_side="left").side == "right"
    assert suggest_site(route="IM", last_site="deltoid", last_side="right").site == "deltoid"
    assert suggest_site(route="IM", last_site=None, last_side=None).site == "deltoid"


def test_after_a_dorsogluteal_injection_a_recommended_site_is_suggested():
    suggestion = suggest_site(route="IM", last_site="dorsogluteal", last_side="left")
    assert suggestion.site == "deltoid"


def test_subcutaneous_sites_do_not_include_the_gluteal_muscles():
    assert "ventrogluteal" not in SITES_FOR_ROUTE["SC"]
    assert "abdomen" not in SITES_FOR_ROUTE["IM"]
