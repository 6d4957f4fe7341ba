"""Regimen templates from clinical-reference.md §1. Choosing one pre-fills the prescribe form;
the clinician can change anything before saving. Pure data: no Django."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .schedule import EndRule, IntervalUnit, PhaseKind, PhaseRule

HYDROXOCOBALAMIN = "hydroxocobalamin-1mg-ml"
CYANOCOBALAMIN = "cyanocobalamin-1000mcg-ml"
MON_WED_FRI = frozenset({0, 2, 4})


@dataclass(frozen=True)
class Regimen:
    code: str
    title: str
    source: str
    product: str
    dose_mcg: int
    dose_text: str
    route: str
    neurological: bool
    phases: tuple[PhaseRule, ...]
    review_after_days: int | None = None
    note: str = ""

    def review_date(self, start: date) -> date | None:
        if self.review_after_days is None:
            return None
        return start + timedelta(days=self.review_after_days)


def _loading(unit: IntervalUnit, every: int = 1, **rule: object) -> PhaseRule:
    return PhaseRule(kind=PhaseKind.LOADING, unit=unit, every=every, **rule)  # type: ignore[arg-type]


def _maintenance(unit: IntervalUnit, every: int) -> PhaseRule:
    return PhaseRule(kind=PhaseKind.MAINTENANCE, unit=unit, every=every, end=EndRule.NEVER)


REGIMENS: dict[str, Regimen] = {
    regimen.code: regimen
    for regimen in (
        Regimen(
            code="uk_standard",
            title="UK, no neurological involvement",
            source="BNF hydroxocobalamin; NICE CKS",
            product=HYDROXOCOBALAMIN,
            dose_mcg=1000,
            dose_text="1 mg",
            route="IM",
            neurological=False,
            phases=(
                _loading(
                    IntervalUnit.WEEKDAYS,
                    weekdays=MON_WED_FRI,
                    end=EndRule.AFTER_DOSES,
                    doses=6,
                    min_interval_days=1,
                ),
                _maintenance(IntervalUnit.MONTHS, 3),
            ),
            review_after_days=91,
            note="1 mg three times a week for 2 weeks, then every 3 months (BNF allows 2–3).",
        ),
        Regimen(
            code="uk_neurological",
            title="UK, neurological involvement",
            source="BNF; UK SmPC",
            product=HYDROXOCOBALAMIN,
            dose_mcg=1000,
            dose_text="1 mg",
            route="IM",
            neurological=True,
            phases=(
                _loading(IntervalUnit.DAYS, 2, end=EndRule.AT_REVIEW),
                _maintenance(IntervalUnit.MONTHS, 2),
            ),
            review_after_days=21,
            note="1 mg on alternate days until no further improvement, then every 2 months.",
        ),
        Regimen(
            code="uk_prophylaxis",
            title="UK prophylaxis / maintenance only",
            source="BNF (gastrectomy, ileal resection, malabsorption)",
            product=HYDROXOCOBALAMIN,
            dose_mcg=1000,
            dose_text="1 mg",
            route="IM",
            neurological=False,
            phases=(_maintenance(IntervalUnit.MONTHS, 3),),
            note="1 mg every 3 months, no loading.",
        ),
        Regimen(
            code="uk_dietary",
            title="UK dietary cause, twice a year",
            source="NICE CKS",
            product=HYDROXOCOBALAMIN,
            dose_mcg=1000,
            dose_text="1 mg",
            route="IM",
            neurological=False,
            phases=(_maintenance(IntervalUnit.MONTHS, 6),),
            note="1 mg twice a year; may stop once levels and diet are corrected.",
        ),
        Regimen(
            code="us_label",
            title="US label, pernicious anaemia",
            source="US cyanocobalamin label",
            product=CYANOCOBALAMIN,
            dose_mcg=100,
            dose_text="100 mcg",
            route="IM",
            neurological=False,
            phases=(
                _loading(IntervalUnit.DAYS, 1, end=EndRule.AFTER_DOSES, doses=7),
                _loading(IntervalUnit.DAYS, 2, end=EndRule.AFTER_DOSES, doses=7),
                _loading(IntervalUnit.DAYS, 3, end=EndRule.AFTER_DOSES, doses=6),
                _maintenance(IntervalUnit.MONTHS, 1),
            ),
            note="100 mcg daily for 7 days, alternate days for 7 doses, every 3 days for about "
            "2–3 weeks, then 100 mcg monthly for life.",
        ),
        Regimen(
            code="us_common",
            title="US common practice",
            source="Langan & Goodbred, AFP 2017",
            product=CYANOCOBALAMIN,
            dose_mcg=1000,
            dose_text="1000 mcg",
            route="IM",
            neurological=False,
            phases=(
                _loading(IntervalUnit.DAYS, 1, end=EndRule.AFTER_DOSES, doses=7),
                _loading(IntervalUnit.WEEKS, 1, end=EndRule.AFTER_DOSES, doses=4),
                _maintenance(IntervalUnit.MONTHS, 1),
            ),
            note="1000 mcg daily for 7 days, weekly for 4 weeks, then monthly.",
        ),
        Regimen(
            code="us_weekly",
            title="US weekly for 8 weeks",
            source="CDC, as cited",
            product=CYANOCOBALAMIN,
            dose_mcg=1000,
            dose_text="1000 mcg",
            route="IM",
            neurological=False,
            phases=(
                _loading(IntervalUnit.WEEKS, 1, end=EndRule.AFTER_DOSES, doses=8),
                _maintenance(IntervalUnit.MONTHS, 1),
            ),
            note="1000 mcg weekly for 8 weeks, then monthly for life.",
        ),
    )
}
CUSTOM = "custom"
REGIMEN_CHOICES: list[tuple[str, str]] = [
    *((code, regimen.title) for code, regimen in REGIMENS.items()),
    (CUSTOM, "Custom"),
]
