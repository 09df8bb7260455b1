// Parses .ics files with Mozilla's ical.js, the way a calendar client would, and prints what it
// read as JSON: { file: { method, events: [{ uid, start, end, sequence, status, summary, location,
// description, organizer, attendees: [{ email, cn, role, partstat, rsvp }] }] } }.
// Times are converted to UTC with the VTIMEZONE inside the file itself (ical.js ships no zone data),
// so a wrong VTIMEZONE shows up as a wrong start or end.
// Usage: node parse_icaljs.mjs FILE.ics [FILE.ics ...]
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const utc = (time) => new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");

const out = {};
for (const file of process.argv.slice(2)) {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  ICAL.TimezoneService.reset();
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      start: utc(event.startDate),
      end: utc(event.endDate),
      tzid: vevent.getFirstProperty("dtstart").getParameter("tzid") ?? null,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      summary: event.summary,
      location: event.location,
      description: event.description,
      organizer: vevent.getFirstPropertyValue("organizer"),
      attendees: vevent.getAllProperties("attendee").map((p) => ({
        email: String(p.getFirstValue()).replace(/^mailto:/i, ""),
        cn: p.getParameter("cn") ?? null,
        role: p.getParameter("role") ?? null,
        partstat: p.getParameter("partstat") ?? null,
        rsvp: p.getParameter("rsvp") ?? null,
      })),
    };
  });
  out[file] = { method: calendar.getFirstPropertyValue("method"), events };
}
process.stdout.write(JSON.stringify(out));
