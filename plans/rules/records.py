"""What a record of a given dose must say about where it went and what was used: the site and
side, the batch and its expiry. Pure: no Django. Each problem names its form field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from . import sites

BATCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,39}$")


@dataclass
class Checked:
    problems: list[tuple[str, str]] = field(default_factory=list)  # (form field, message)
    warnings: list[str] = field(default_factory=list)  # accepted, kept on the record


def check_site(
    *,
    route: str,
    site: str,
    side: str,
    labels: Mapping[str, str],
    required: bool,
    accept_site_warning: bool,
) -> Checked:
    """`labels` names each known site, as the form shows it."""
    checked = Checked()
    if not site:
        if required:
            checked.problems.append(("site", "Choose the injection site."))
    elif site not in labels:
        checked.problems.append(("site", "Choose a site from the list."))
    elif site not in sites.allowed_sites(route):
        checked.problems.append(("site", f"{labels[site]} is not a site for {route} injections."))
    elif site in sites.NOT_RECOMMENDED:
        if not accept_site_warning:
            checked.problems.append(
                (
                    "site",
                    "The dorsogluteal site is no longer recommended (risk to the sciatic nerve). "
                    "Choose another site, or tick the box to confirm you accept the risk.",
                )
            )
        else:
            checked.warnings.append("Dorsogluteal site used although not recommended.")
    if not side:
        if required:
            checked.problems.append(("side", "Choose the side: left or right."))
    elif side not in sites.SIDES:
        checked.problems.append(("side", "The side is left or right."))
    return checked


def check_stock(
    *, batch: str, expiry: date | None, given_on: date | None, required: bool
) -> list[tuple[str, str]]:
    problems = []
    if not batch:
        if required:
            problems.append(("batch", "Enter the batch or lot number printed on the vial."))
    elif not BATCH.match(batch):
        problems.append(
            ("batch", "A batch number is up to 40 letters, digits, spaces, dots, dashes or /.")
        )
    if expiry is None:
        if required:
            problems.append(("expiry", "Enter the expiry date printed on the vial."))
    elif given_on is not None and expiry < given_on:
        problems.append(
            (
                "expiry",
                f"This stock expired on {expiry:%-d %b %Y}. Do not use it: take an in-date vial "
                "and record its batch and expiry.",
            )
        )
    return problems
