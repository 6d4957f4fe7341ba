// Reads a calendar file on stdin with Mozilla's ical.js (the parser Thunderbird uses) and
// prints each event's UID, status and start as a UTC instant, as JSON.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    status: component.getFirstPropertyValue("status"),
    start: event.startDate.toJSDate().toISOString(),
  };
});
process.stdout.write(JSON.stringify(events));
