"""The day list as a spreadsheet: one row per patient due or overdue, formula-safe."""

from __future__ import annotations

import csv
import io

from .day_list import DayList


def day_list_csv(listing: DayList) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "section",
            "due date",
            "days overdue",
            "family name",
            "given name",
            "date of birth",
            "record number",
            "product",
            "dose",
            "route",
            "phase",
            "neurological",
            "allergies",
            "last site",
            "suggested site",
            "alert",
        ]
    )
    for section, rows in (("overdue", listing.overdue), ("due", listing.due)):
        for row in rows:
            writer.writerow(
                formula_safe(value)
                for value in (
                    section,
                    row.dose.due_date.isoformat(),
                    row.days_overdue,
                    row.patient.family_name,
                    row.patient.given_name,
                    row.patient.date_of_birth.isoformat(),
                    row.patient.record_number,
                    row.version.product_name,
                    row.version.dose_display,
                    row.version.route,
                    row.position,
                    "yes" if row.version.neurological else "no",
                    row.patient.allergies.replace("\n", "; "),
                    row.last_site_display,
                    row.suggested_display,
                    row.alert,
                )
            )
    return out.getvalue()


def formula_safe(value: object) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
