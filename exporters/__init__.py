"""Exporters: pure renderers from a timetable to text or bytes (timetable_csv, ics, html, xlsx),
and folder, which writes an output folder atomically. Import the submodule you need."""
