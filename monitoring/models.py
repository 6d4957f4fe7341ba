# Filled by the monitoring issue: lab catalogue, results, rechecks, alerts, reminders.
