"""Benchmark: does the nurse's day list slow down as the database grows from 1k to 100k patients?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/b12clinic_bench \\
        .venv/bin/python bench/day_list.py [patients]

One measured clinic holds 1,000 patients on lifelong plans started over the past year, with
their past doses given (an administration each) and a few left overdue (the same ones on every
run). Two databases are seeded: `<name>_small` holds that clinic alone; `<name>` holds it and
99,000 patients in other clinics (over 1M dose rows). The clinic's day list is then requested
through Django's test client (the whole view: session, query, template) from each database in
turn, alternating request by request, so both see the same machine at the same moment; a slow
spell of a shared machine cannot pass for a slow page. The ratio of the medians shows what the
other 99% of the table costs the page; the goal is 1.5 or less.
"""

from __future__ import annotations

import contextvars
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")
# Measured as production serves the page: DEBUG off (no template debug bookkeeping, no query
# log), static files from their manifest, the cache in Redis.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "day-list-bench-" + "k" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b12clinic_bench")

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
from materialise import QueryCounter, ensure_database

TODAY = date(2026, 11, 24)
REQUESTS = 60
MEASURED = 1_000
OVERDUE_EVERY = 97  # about 1% of past doses stay open


def seed_clinic(name: str, patients: int, first: int) -> list[object]:
    """Patients with active plans of four regimens started over the past year. Returns the
    plan ids. Bulk writes, not timed."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from b12clinic.core.models import Clinic, Patient, Product
    from plans.models import Phase, Plan, PlanVersion
    from plans.rules.regimens import REGIMENS

    clinic, _ = Clinic.objects.get_or_create(name=name, defaults={"open_weekdays": "01234"})
    prescriber = User.objects.get(username="bench-clinician")
    clinic.staff.add(prescriber, User.objects.get(username="bench-nurse"))
    regimens = [REGIMENS[c] for c in ("uk_standard", "uk_prophylaxis", "us_weekly", "uk_standard")]
    products = {p.code: p for p in Product.objects.all()}
    plan_ids = []
    with transaction.atomic():
        rows: dict[str, list] = {"patients": [], "plans": [], "versions": [], "phases": []}
        for index in range(first, first + patients):
            regimen = regimens[index % len(regimens)]
            patient = Patient(
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"bench-patient-{index}"),
                clinic=clinic,
                record_number=f"B{index:07}",
                given_name="Bench",
                family_name=f"Patient{index:07}",
                date_of_birth=date(1940, 1, 1) + timedelta(days=index % 25000),
                allergies="Latex" if index % 11 == 0 else "",
            )
            # Fixed ids: the overdue doses, picked by plan id, are the same in both databases.
            plan = Plan(id=uuid.uuid5(uuid.NAMESPACE_URL, f"bench-plan-{index}"), patient=patient)
            version = PlanVersion(
                id=uuid.uuid4(),
                plan=plan,
                number=1,
                regimen=regimen.code,
                product=products[regimen.product],
                dose_mcg=regimen.dose_mcg,
                dose_amount=1,
                dose_unit="mg",
                route=regimen.route,
                cause="pernicious_anaemia" if index % 3 else "dietary",
                neurological=index % 10 == 0,
                start_date=TODAY - timedelta(days=index % 365),
                prescriber=prescriber,
            )
            rows["patients"].append(patient)
            rows["plans"].append(plan)
            rows["versions"].append(version)
            rows["phases"].extend(
                Phase.from_rule(version=version, order=order, rule=rule)
                for order, rule in enumerate(regimen.phases)
            )
            plan_ids.append(plan.id)
        Patient.objects.bulk_create(rows["patients"], batch_size=5000)
        Plan.objects.bulk_create(rows["plans"], batch_size=5000)
        PlanVersion.objects.bulk_create(rows["versions"], batch_size=5000)
        Phase.objects.bulk_create(rows["phases"], batch_size=5000)
    return plan_ids


def materialise_and_give(plan_ids: list[object]) -> None:
    """Doses for a year ahead; past ones given on their date by the nurse, with a record
    each, except about 1% left overdue."""
    from django.contrib.auth.models import User
    from django.db import connection

    from plans.materialise import doses_extend

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE plans_plan p SET current_id = v.id FROM plans_planversion v "
            "WHERE v.plan_id = p.id AND p.current_id IS NULL"
        )
    doses_extend(plan_ids=plan_ids, today=TODAY)
    nurse = User.objects.get(username="bench-nurse").pk
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE plans_dose SET status = 'given', given_on = due_date "
            "WHERE status = 'due' AND due_date < %s "
            "AND abs(hashtext(plan_id::text || sequence::text)) %% %s <> 0",
            [TODAY, OVERDUE_EVERY],
        )
        # bench/load.py seeds its baseline, code from before the record carried its patient,
        # with this same function.
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'plans_administration' AND column_name = 'patient_id'"
        )
        patient_column, patient = (
            ("patient_id, ", "p.patient_id, ") if cursor.fetchone() else ("", "")
        )
        cursor.execute(
            f"INSERT INTO plans_administration (id, dose_id, {patient_column}is_void, setting, "
            "given_at, given_on, given_by_id, given_by_name, site, side, batch, expiry, outcome, "
            "identity_confirmed, allergies_checked, warnings, notes, reason, override_reason, "
            "recorded_by_id, recorded_at) "
            f"SELECT gen_random_uuid(), d.id, {patient}false, 'clinic', "
            "d.due_date + time '10:00', "
            "d.due_date, %s, '', 'deltoid', "
            "CASE WHEN d.sequence %% 2 = 0 THEN 'left' ELSE 'right' END, 'B1', "
            "d.due_date + 365, 'none', true, true, '[]', '', '', '', %s, now() "
            "FROM plans_dose d JOIN plans_plan p ON p.id = d.plan_id "
            "LEFT JOIN plans_administration a ON a.dose_id = d.id "
            "WHERE d.status = 'given' AND a.id IS NULL",
            [nurse, nurse],
        )
        cursor.execute("VACUUM ANALYZE")


class Router:
    """Sends every query of the measured request to the database being timed."""

    current: contextvars.ContextVar[str] = contextvars.ContextVar("bench_db", default="default")

    def db_for_read(self, model: object, **hints: object) -> str:
        return self.current.get()

    db_for_write = db_for_read

    def allow_relation(self, *args: object, **hints: object) -> bool:
        return True


@contextmanager
def using(alias: str) -> Iterator[None]:
    token = Router.current.set(alias)
    try:
        yield
    finally:
        Router.current.reset(token)


def seed(total: int) -> None:
    """Fill the database of DATABASE_URL: the measured clinic, then `total - 1,000` others."""
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/day_list.py measures PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE monitoring_alert, monitoring_recheck, monitoring_labresult, "
            "monitoring_symptomcheckin, plans_administration, plans_dosenotgiven, plans_dose, "
            "plans_phase, plans_planoverride, plans_planversion, plans_plan, plans_patient, "
            "plans_clinic_staff, plans_clinic, django_session CASCADE"
        )
    for username, role in (("bench-clinician", "clinician"), ("bench-nurse", "nurse")):
        user, _ = User.objects.get_or_create(username=username)
        user.groups.add(Group.objects.get(name=role))
    materialise_and_give(seed_clinic("Measured clinic", MEASURED, 0))
    per_clinic = 11_000
    for number, first in enumerate(range(MEASURED, total, per_clinic)):
        size = min(per_clinic, total - first)
        materialise_and_give(seed_clinic(f"Other clinic {number + 1}", size, first))
    with connection.cursor() as cursor:
        # Measure the tables at rest, not the write-back of the bulk load.
        cursor.execute("CHECKPOINT")


def measure(large_url: str, small_url: str, total: int) -> None:
    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connections
    from django.test import Client

    from b12clinic.core.models import Clinic
    from plans.day_cache import clinic_changed
    from plans.models import Dose

    settings.DATABASES["small"] = {
        **settings.DATABASES["default"],
        "NAME": small_url.rsplit("/", 1)[1],
    }
    settings.DATABASE_ROUTERS = [Router()]
    from django.db import router

    router.routers = [Router()]

    sides = {}
    for alias in ("small", "default"):
        with using(alias):
            client = Client()
            client.force_login(User.objects.get(username="bench-nurse"))
            clinic = Clinic.objects.get(name="Measured clinic")
            sides[alias] = {
                "client": client,
                "clinic": clinic.pk,
                "url": f"/today/?date={TODAY.isoformat()}&clinic={clinic.pk}",
                "doses": Dose.objects.count(),
                "timings": [],
            }
            for _ in range(5):
                client.get(sides[alias]["url"])
    for _ in range(REQUESTS):
        for alias in ("small", "default"):
            side = sides[alias]
            with using(alias):
                clinic_changed(side["clinic"])  # the list as built, not as kept (day_cache.py)
                started = time.perf_counter()
                response = side["client"].get(side["url"])
                side["timings"].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    results = {}
    for alias, side in sides.items():
        counter = QueryCounter()
        clinic_changed(side["clinic"])
        with using(alias), connections[alias].execute_wrapper(counter):
            page = side["client"].get(side["url"]).content.decode()
        timings = side["timings"]
        results[alias] = (
            statistics.median(timings),
            statistics.quantiles(timings, n=20)[-1],
            counter.count,
            page.count('data-testid="day-row"'),
        )
    for alias, label in (("small", f"{MEASURED:,} patients"), ("default", f"{total:,} patients")):
        p50, p95, queries, shown = results[alias]
        print(
            f"day list at {label:>16} ({sides[alias]['doses']:>9,} dose rows): median "
            f"{p50:6.1f} ms, p95 {p95:6.1f} ms, {queries} queries, {shown} patients listed"
        )
    small, large = results["small"], results["default"]
    assert small[3] == large[3], "both databases must list the same patients"
    ratio, ratio95 = large[0] / small[0], large[1] / small[1]
    print(f"ratio {total:,} / {MEASURED:,}: median {ratio:.2f}, p95 {ratio95:.2f}")
    print(f"goal (median ratio 1.5 or less): {'met' if ratio <= 1.5 else 'NOT met'}")
    with using("default"):
        floor(sides["default"]["client"], sides["default"]["url"], sides["default"]["clinic"])


def floor(client: object, url: str, clinic: object) -> None:
    """The floor: a page through the same middleware, signed in as the same nurse, that reads
    the clinic's doses for the day in one query and renders a template extending the same base
    to the same size. Timed alternately with the day list."""
    from django.http import HttpRequest, HttpResponse
    from django.template import engines
    from django.urls import clear_url_caches, path

    from b12clinic import urls
    from plans.day_cache import clinic_changed
    from plans.models import Dose

    size = len(client.get(url).content)  # type: ignore[attr-defined]
    template = engines["django"].from_string(
        "{% extends 'base.html' %}{% block content %}{% for row in rows %}<p>{{ row.0 }} "
        "{{ row.1 }}</p>{% endfor %}{{ padding }}{% endblock %}"
    )

    padding: list[str] = []  # worked out on the first request, then the same each time

    def view(request: HttpRequest) -> HttpResponse:
        # The day list's own rows, read the cheapest way: the clinic's open doses up to the day,
        # from the same partial index.
        rows = list(
            Dose.objects.filter(
                clinic__name="Measured clinic", status="due", due_date__lte=TODAY
            ).values_list("id", "due_date")
        )
        if not padding:
            html = template.render({"rows": rows, "padding": ""}, request)
            padding.append("x" * max(0, size - len(html.encode())))
        return HttpResponse(template.render({"rows": rows, "padding": padding[0]}, request))

    urls.urlpatterns.insert(0, path("bench-floor/", view))
    clear_url_caches()
    timings: dict[str, list[float]] = {"page": [], "floor": [], "kept": []}
    for _ in range(REQUESTS):
        for name, target in (("page", url), ("floor", "/bench-floor/"), ("kept", url)):
            if name == "page":
                clinic_changed(clinic)  # built; "kept" is the same list served as kept
            started = time.perf_counter()
            response = client.get(target)  # type: ignore[attr-defined]
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (target, response.status_code)
    page, bottom = statistics.median(timings["page"]), statistics.median(timings["floor"])
    print(
        f"floor: the same middleware and base template, one query, {size:,} bytes: median "
        f"{bottom:.1f} ms; the day list is {page / bottom:.2f}x it "
        f"(goal <= 3: {'met' if page <= 3 * bottom else 'NOT met'})"
    )
    kept = statistics.median(timings["kept"])
    print(f"the same list served as kept until something on it changes: median {kept:.1f} ms")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--seed":
        seed(int(sys.argv[2]))
        return
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    large_url = os.environ["DATABASE_URL"]
    small_url = f"{large_url}_small"
    for url, patients in ((small_url, MEASURED), (large_url, total)):
        ensure_database(url)
        if os.environ.get("DAY_LIST_REUSE"):  # the data of the last run, as it was left
            continue
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--seed", str(patients)],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
        )
        print(
            f"seeded {patients:,} patients in {url.rsplit('/', 1)[1]} in "
            f"{time.perf_counter() - started:.1f} s (not timed)"
        )
    measure(large_url, small_url, total)


if __name__ == "__main__":
    main()
