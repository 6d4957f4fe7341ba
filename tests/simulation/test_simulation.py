"""Two years of clinics in an afternoon: patients on every regimen, nurses, clinicians and
reminders, checked after every simulated day (tests/simulation/world.py, invariants.py)."""

import time_machine

from tests.simulation.invariants import Checker
from tests.simulation.world import Simulation, run


def test_a_simulated_clinic_keeps_every_invariant(db, settings, sim_options, capsys):
    days, patients, seed = sim_options
    settings.SMS_BACKEND = "tests.simulation.world.CapturingSms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sim = Simulation(seed=seed, days=days, patients=patients)
    with time_machine.travel(sim.start, tick=False) as traveller:
        run(sim, check=Checker(seed), traveller=traveller, progress=_progress(capsys, days))
    f = sim.figures
    with capsys.disabled():
        print(
            f"\nsimulated {f.days} days, {patients} patients, seed {seed}: "
            f"{f.doses_given} doses given in clinic, {f.given_at_home} at home, "
            f"{f.given_elsewhere} elsewhere, {f.not_given} not given; {f.amendments} amendments, "
            f"{f.loading_ended} loading phases ended, {f.plans_stopped} plans stopped; "
            f"{f.results} results; {f.reminders_sent} reminders sent ({f.emails} emails, "
            f"{f.texts} texts); {f.alerts} overdue alerts; {f.checks} invariant checks "
            f"({', '.join(f'{k} {v}' for k, v in f.by_invariant.items())}); "
            f"{f.seconds:.0f} s"
        )
    assert f.doses_given > 0 and f.checks > 0


def _progress(capsys, days):
    """A line a month on the long run, so a two-year run shows where it is."""
    if days < 365:
        return None

    def say(line):
        with capsys.disabled():
            print(line, flush=True)

    return say
