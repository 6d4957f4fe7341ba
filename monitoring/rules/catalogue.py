"""The laboratory tests the clinic records, with the defaults of clinical-reference.md §5.
Pure: no Django. A data migration copies this into the `LabTest` and `ReferenceRange` tables,
where a clinic can change ranges and limits in admin; the app reads the tables, not this file.

Numbers not given by the reference (plausible limits, critical Hb and high potassium, ferritin)
are marked so below; they are defaults a clinic is expected to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

D = Decimal


@dataclass(frozen=True)
class Range:
    low: Decimal | None
    high: Decimal | None
    sex: str = ""  # "" for anyone; "male" / "female" where the reference gives sex-specific ranges


@dataclass(frozen=True)
class Band:
    """An interpretation band: the value is in it when below `limit` (or at it, if inclusive).
    The last band has no limit."""

    label: str
    limit: Decimal | None = None
    inclusive: bool = False

    def holds(self, value: Decimal) -> bool:
        if self.limit is None:
            return True
        return value < self.limit or (self.inclusive and value == self.limit)


@dataclass(frozen=True)
class TestSpec:
    code: str
    name: str
    loinc: tuple[str, ...]  # the first names a value in the canonical unit
    unit: str  # canonical
    units: dict[str, Decimal] = field(default_factory=dict)  # unit → factor to canonical
    qualitative: bool = False
    ranges: tuple[Range, ...] = ()
    bands: tuple[Band, ...] = ()
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None
    plausible_low: Decimal | None = None
    plausible_high: Decimal | None = None
    note: str = ""


QUALITATIVE_VALUES = ("negative", "positive", "equivocal")

TESTS: tuple[TestSpec, ...] = (
    TestSpec(
        code="hb",
        name="Haemoglobin",
        loinc=("718-7",),
        unit="g/L",
        units={"g/L": D(1), "g/dL": D(10), "mmol/L": D("16.114")},
        ranges=(Range(D(135), D(175), "male"), Range(D(120), D(160), "female")),
        critical_low=D(60),  # not in the reference: a common "phone the clinician" limit
        plausible_low=D(30),
        plausible_high=D(250),
    ),
    TestSpec(
        code="mcv",
        name="MCV",
        loinc=("787-2",),
        unit="fL",
        units={"fL": D(1)},
        ranges=(Range(D(80), D(100)),),
        plausible_low=D(50),
        plausible_high=D(150),
    ),
    TestSpec(
        code="retic_pct",
        name="Reticulocytes (%)",
        loinc=("17849-1",),
        unit="%",
        units={"%": D(1)},
        ranges=(Range(D("1.0"), D("2.6")),),
        plausible_low=D(0),
        plausible_high=D(30),
    ),
    TestSpec(
        code="retic_abs",
        name="Reticulocytes (absolute)",
        loinc=("60474-4",),
        unit="10^9/L",
        units={"10^9/L": D(1), "10^12/L": D(1000)},
        ranges=(Range(D(47), D(152)),),
        plausible_low=D(0),
        plausible_high=D(1000),
    ),
    TestSpec(
        code="b12",
        name="Serum B12",
        # 14685-2 is cobalamin in moles per volume, what the canonical pmol/L value is;
        # 2132-9 (mass per volume) names a result a laboratory reports in pg/mL or ng/L.
        loinc=("14685-2", "2132-9"),
        unit="pmol/L",
        units={"pmol/L": D(1), "pg/mL": D("0.738"), "ng/L": D("0.738")},
        ranges=(Range(D(133), None),),
        bands=(
            Band("deficient", D(133)),
            Band("indeterminate", D(258), inclusive=True),
            Band("deficiency unlikely"),
        ),
        plausible_low=D(10),
        plausible_high=D(20000),
        note="NG239 bands. US labels use < 148 pmol/L (200 pg/mL) as deficient.",
    ),
    TestSpec(
        code="active_b12",
        name="Active B12 (holotranscobalamin)",
        loinc=("72160-5",),
        unit="pmol/L",
        units={"pmol/L": D(1)},
        ranges=(Range(D(25), None),),
        bands=(
            Band("deficient", D(25)),
            Band("indeterminate", D(70), inclusive=True),
            Band("deficiency unlikely"),
        ),
        plausible_low=D(1),
        plausible_high=D(1000),
    ),
    TestSpec(
        code="mma",
        name="Methylmalonic acid",
        loinc=("13964-2",),
        unit="µmol/L",
        units={"µmol/L": D(1), "nmol/L": D("0.001")},
        ranges=(Range(None, D("0.40")),),
        plausible_low=D("0.01"),
        plausible_high=D(100),
        note="Also raised in renal impairment.",
    ),
    TestSpec(
        code="homocysteine",
        name="Total homocysteine",
        loinc=("13965-9",),
        unit="µmol/L",
        units={"µmol/L": D(1)},
        ranges=(Range(None, D(15)),),
        plausible_low=D(1),
        plausible_high=D(500),
        note="Also raised in folate or B6 deficiency and renal impairment.",
    ),
    TestSpec(
        code="folate",
        name="Serum folate",
        loinc=("2284-8",),
        unit="µg/L",
        units={"µg/L": D(1), "ng/mL": D(1), "nmol/L": D("0.441")},
        ranges=(Range(D("4.0"), None),),
        bands=(
            Band("deficient", D("3.9"), inclusive=True),
            Band("indeterminate", D("5.8"), inclusive=True),
            Band("normal"),
        ),
        plausible_low=D("0.1"),
        plausible_high=D(100),
    ),
    TestSpec(
        code="ferritin",
        name="Ferritin",
        loinc=("2276-4",),
        unit="µg/L",
        units={"µg/L": D(1), "ng/mL": D(1)},
        # Not in the reference (which asks for ferritin/iron at baseline): < 30 µg/L confirms
        # iron deficiency (NICE CKS); a clinic should set its laboratory's range.
        ranges=(Range(D(30), D(400)),),
        plausible_low=D(1),
        plausible_high=D(50000),
    ),
    TestSpec(
        code="ifab",
        name="Intrinsic factor antibody",
        loinc=("31444-3",),
        unit="",
        qualitative=True,
        note="Positive is specific; absent in 40–50% of pernicious anaemia. Draw before "
        "injections, not within 2 weeks of one.",
    ),
    TestSpec(
        code="potassium",
        name="Potassium",
        loinc=("2823-3",),
        unit="mmol/L",
        units={"mmol/L": D(1), "mEq/L": D(1)},
        ranges=(Range(D("3.3"), D("5.0")),),
        critical_low=D("3.0"),
        critical_high=D("6.5"),  # not in the reference: a common "phone the clinician" limit
        plausible_low=D("1.0"),
        plausible_high=D("10.0"),
    ),
)

BY_CODE: dict[str, TestSpec] = {test.code: test for test in TESTS}

PANELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("blood_count", "Blood count", ("hb", "mcv", "retic_pct", "retic_abs")),
    ("b12_status", "B12 status", ("b12", "active_b12", "mma", "homocysteine", "folate")),
    ("iron", "Iron", ("ferritin",)),
    ("potassium", "Potassium", ("potassium",)),
    ("ifab", "Intrinsic factor antibody", ("ifab",)),
)
