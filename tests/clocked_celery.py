"""`celery` on the suite's clock, for the worker the reminder tests start in its own process:
`python -m tests.clocked_celery <ISO instant> <celery arguments>`. The worker's forked children
inherit the travelled clock, so the worker and the test agree on what is due."""

import sys
from datetime import datetime

import time_machine
from celery.__main__ import main

if __name__ == "__main__":
    time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True).start()
    sys.argv = ["celery", *sys.argv[2:]]
    sys.exit(main())
