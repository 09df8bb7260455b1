// The workbench's only script (served from the package; the CSP allows no other): it fills the
// progress panel from the server-sent events of /progress, and opens the result when the search ends.
"use strict";

// Back to a page kept whole in the browser's memory: its progress panel stopped listening when the
// page was left, so ask the server for the page as it is now (the search may have ended).
window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.querySelector("[data-events]")) window.location.reload();
});

document.addEventListener("DOMContentLoaded", () => {
  const panel = document.querySelector("[data-events]");
  if (!panel || !window.EventSource) return;
  const field = (name) => panel.querySelector(`[data-field="${name}"]`);
  const source = new EventSource(panel.dataset.events);
  source.onmessage = (event) => {
    const p = JSON.parse(event.data);
    if (p.state === "running" && p.kind === "robustness") {
      field("seconds").textContent = p.seconds.toFixed(1);
      if (p.questions !== null) {
        field("answered").textContent = String(p.answered);
        field("questions").textContent = String(p.questions);
        field("fill").style.width = `${p.questions ? (100 * p.answered) / p.questions : 0}%`;
      }
      if (p.stopping) field("note").textContent = "Stopping: keeping what was answered…";
      return;
    }
    if (p.state === "running") {
      field("seconds").textContent = p.seconds.toFixed(1);
      field("limit").textContent = p.limit.toFixed(1);
      field("fill").style.width = `${Math.min(100, (100 * p.seconds) / p.limit)}%`;
      if (p.held !== null) {
        field("held").textContent = String(p.held);
        field("objective").textContent = String(p.objective);
        field("bound").textContent = String(p.bound);
      }
      if (p.stopping) field("note").textContent = "Stopping: keeping the best timetable found…";
      return;
    }
    source.close();
    window.location.assign(p.state === "done" ? panel.dataset.next : panel.dataset.fail);
  };
});
