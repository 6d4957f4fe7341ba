"""`gunicorn` on the suite's clock, for the tests that start web instances in their own
processes: `python -m tests.clocked_gunicorn <ISO instant> <gunicorn arguments>`. The forked
workers inherit the travelled clock, so one-time codes the test computes are the server's."""

import sys
from datetime import datetime

import time_machine
from gunicorn.app.wsgiapp import run

if __name__ == "__main__":
    time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True).start()
    sys.argv = ["gunicorn", *sys.argv[2:]]
    sys.exit(run())
