"""Recording what happened to a dose: given in clinic, given at home or elsewhere, not given,
and corrections. One transaction per call.

Each call locks the plan row, then the dose row, so two people recording the same dose queue up
and the second is told it is already done; the unique constraint on a dose's first record is
the backstop. The rest of the plan is then re-planned from what really happened.
"""
