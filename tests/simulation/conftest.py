"""Options for the simulated clinic: the short run in `make test` uses the defaults;
`make simulate DAYS=730 PATIENTS=300 SEED=n` passes its own."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simulation")
    group.addoption("--sim-days", type=int, default=120, help="simulated days")
    group.addoption("--sim-patients", type=int, default=20, help="simulated patients")
    group.addoption("--sim-seed", type=int, default=1, help="random seed")


@pytest.fixture
def sim_options(request: pytest.FixtureRequest) -> tuple[int, int, int]:
    return (
        request.config.getoption("--sim-days"),
        request.config.getoption("--sim-patients"),
        request.config.getoption("--sim-seed"),
    )
