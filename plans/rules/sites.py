"""Injection sites: which fit a route, and which to suggest next. Pure: no Django.

Design rule (clinical reference §6): record the side and site each time and suggest a different
one from the last. The suggestion keeps the same muscle and swaps the side, which is what most
patients expect; a site that is not recommended (dorsogluteal) or does not fit the route is
never suggested.
"""

from __future__ import annotations

from dataclasses import dataclass

DELTOID = "deltoid"
VASTUS_LATERALIS = "vastus_lateralis"
VENTROGLUTEAL = "ventrogluteal"
DORSOGLUTEAL = "dorsogluteal"
ABDOMEN = "abdomen"

LEFT = "left"
RIGHT = "right"
SIDES = (LEFT, RIGHT)

# Each fits 1 mL. Dorsogluteal is allowed for IM only with a warning: it is near the sciatic
# nerve and no longer recommended.
SITES_FOR_ROUTE: dict[str, tuple[str, ...]] = {
    "IM": (DELTOID, VASTUS_LATERALIS, VENTROGLUTEAL, DORSOGLUTEAL),
    "SC": (DELTOID, VASTUS_LATERALIS, ABDOMEN),
}
NOT_RECOMMENDED = frozenset({DORSOGLUTEAL})


@dataclass(frozen=True)
class SiteChoice:
    site: str
    side: str


def allowed_sites(route: str) -> tuple[str, ...]:
    return SITES_FOR_ROUTE.get(route, SITES_FOR_ROUTE["IM"])


def suggest_site(*, route: str, last_site: str | None, last_side: str | None) -> SiteChoice:
    """A different site from the last one: the same muscle on the other side."""
    recommended = [s for s in allowed_sites(route) if s not in NOT_RECOMMENDED]
    site = last_site if last_site in recommended else recommended[0]
    side = RIGHT if last_side == LEFT else LEFT
    if last_site in recommended and last_side not in SIDES:
        # The side was not recorded: change the muscle, so the suggestion still differs.
        site = recommended[(recommended.index(last_site) + 1) % len(recommended)]
    return SiteChoice(site=site, side=side)
