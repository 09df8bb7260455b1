"""What the lead edited in INPUT since a baseline was made: two inspections compared, id by id
(SPEC §6 `whatif`). Plain domain code: a re-plan asks it which occurrences are new, removed or
edited, and the lead reads it in words."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from models.inspection import Activity, Inspection, Settings, Unavailability, period_text

# Activity fields -> the activities column a lead edits (several fields come from one column).
_COLUMN = {"recurs_daily": "recurs", "fixed_day": "fixed_start", "fixed_time": "fixed_start",
           "all_inspectors": "inspectors"}


@dataclass(frozen=True)
class Added:
    """Ids added, removed and edited (any column) in one table."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.edited)


@dataclass(frozen=True)
class Edits:
    activities: Added = Added()
    edited_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # activity id -> columns edited
    inspectors: Added = Added()
    people: Added = Added()
    rooms: Added = Added()
    groups: Added = Added()
    unavailability_added: tuple[Unavailability, ...] = ()
    unavailability_lifted: tuple[Unavailability, ...] = ()
    travel_changed: bool = False
    settings_changed: tuple[str, ...] = ()  # setting keys
    occurrences_added: tuple[str, ...] = ()  # occurrence ids new in INPUT (a new row, or a day added)
    occurrences_removed: tuple[str, ...] = ()  # occurrence ids gone from INPUT
    titles: tuple[tuple[str, str], ...] = ()  # activity id -> title, of each activity added, removed or edited

    @property
    def nothing(self) -> bool:
        return not (self.activities or self.inspectors or self.people or self.rooms or self.groups
                    or self.unavailability_added or self.unavailability_lifted or self.travel_changed
                    or self.settings_changed or self.occurrences_added or self.occurrences_removed)

    def may_add(self, occurrence_id: str, activity_id: str) -> bool:
        """SPEC §4: an occurrence the baseline did not hold may be placed only when the lead asked
        for it: its activity is new in INPUT, or its row was edited since the baseline."""
        return occurrence_id in self.occurrences_added or activity_id in self.activities.added \
            or activity_id in self.activities.edited

    def in_words(self) -> list[str]:
        """One line per kind of edit, naming activities by id and title, everyone else by id (a
        person's name is personal data, kept to where the input sends it)."""
        lines = []
        a, titles = self.activities, dict(self.titles)

        def named(ids) -> str:
            return ", ".join(f"{i} '{titles[i]}'" if titles.get(i) else i for i in ids)
        if a.added:
            lines.append(f"activities added: {named(a.added)}")
        if a.removed:
            lines.append(f"activities removed: {named(a.removed)}")
        if a.edited:
            columns = dict(self.edited_columns)
            lines.append("activities edited: " + ", ".join(f"{named([i])} ({', '.join(columns[i])})" for i in a.edited))
        extra_days = [o for o in self.occurrences_added if o.split("@")[0] not in a.added]
        if extra_days:
            lines.append(f"days added: {', '.join(extra_days)}")
        gone_days = [o for o in self.occurrences_removed if o.split("@")[0] not in a.removed]
        if gone_days:
            lines.append(f"days removed: {', '.join(gone_days)}")
        for table, change in (("inspectors", self.inspectors), ("people", self.people),
                              ("rooms", self.rooms), ("groups", self.groups)):
            for verb, ids in (("added", change.added), ("removed", change.removed), ("edited", change.edited)):
                if ids:
                    lines.append(f"{table} {verb}: {', '.join(ids)}")
        if self.unavailability_added:
            lines.append("unavailability added: " + "; ".join(map(_period, self.unavailability_added)))
        if self.unavailability_lifted:
            lines.append("unavailability lifted: " + "; ".join(map(_period, self.unavailability_lifted)))
        if self.travel_changed:
            lines.append("travel times changed")
        if self.settings_changed:
            lines.append(f"settings changed: {', '.join(self.settings_changed)}")
        return lines


def _period(u: Unavailability) -> str:
    return f"{u.resource_id} {period_text(u.day, u.start, u.end)}"


def _compare(before: dict, after: dict) -> Added:
    return Added(added=tuple(i for i in after if i not in before),
                 removed=tuple(i for i in before if i not in after),
                 edited=tuple(i for i in after if i in before and after[i] != before[i]))


def _columns(before: Inspection, after: Inspection, activity_id: str) -> tuple[str, ...]:
    """The activities columns the lead edited in one row (none: the row reads as it did)."""
    old, new = before.activity_by_id[activity_id], after.activity_by_id[activity_id]
    names = (_COLUMN.get(f.name, f.name) for f in fields(Activity)
             if getattr(old, f.name) != getattr(new, f.name)
             and not (f.name == "pool_max" and _same_pool_max_cell(before, after, old, new)))
    return tuple(dict.fromkeys(names))


def _same_pool_max_cell(before: Inspection, after: Inspection, old: Activity, new: Activity) -> bool:
    """pool_max is read as at most the whole group (a blank cell: the whole group), so a group
    edited in the groups table changes it with the row as it was: one cell explains both values."""
    if old.pool is None or old.pool != new.pool:
        return False
    sizes = [len(i.group_by_id[old.pool].members) if old.pool in i.group_by_id else 0 for i in (before, after)]
    return any(min(cell, sizes[0]) == old.pool_max and min(cell, sizes[1]) == new.pool_max
               for cell in (old.pool_max, new.pool_max, max(sizes)))


def _unavailability_key(u: Unavailability) -> tuple:
    return u.resource_id, u.day, u.start, u.end


def edits_between(before: Inspection, after: Inspection) -> Edits:
    """What changed from `before` (the baseline's input) to `after` (INPUT now). Rows are compared
    as read into the domain, so a cell written differently with the same meaning (`Tuesday` for
    `Tue`) is no edit; a reason edited on an unavailability row is none either."""
    columns = {i: _columns(before, after, i) for i in after.activity_by_id if i in before.activity_by_id}
    # A row is edited when a column the lead writes is (a smaller group is the groups table's edit).
    activities = replace(_compare(before.activity_by_id, after.activity_by_id),
                         edited=tuple(i for i, edited in columns.items() if edited))
    old_occ, new_occ = before.occurrence_by_id, after.occurrence_by_id
    old_u = {_unavailability_key(u): u for u in before.unavailability}
    new_u = {_unavailability_key(u): u for u in after.unavailability}
    return Edits(
        activities=activities,
        edited_columns=tuple((i, columns[i]) for i in activities.edited),
        inspectors=_compare(before.inspector_by_id, after.inspector_by_id),
        people=_compare(before.person_by_id, after.person_by_id),
        rooms=_compare(before.room_by_id, after.room_by_id),
        groups=_compare({g.id: set(g.members) for g in before.groups}, {g.id: set(g.members) for g in after.groups}),
        unavailability_added=tuple(u for k, u in new_u.items() if k not in old_u),
        unavailability_lifted=tuple(u for k, u in old_u.items() if k not in new_u),
        travel_changed=sorted(before.travel) != sorted(after.travel),
        settings_changed=tuple(f.name for f in fields(Settings)
                               if getattr(before.settings, f.name) != getattr(after.settings, f.name)),
        occurrences_added=tuple(o for o in new_occ if o not in old_occ),
        occurrences_removed=tuple(o for o in old_occ if o not in new_occ),
        titles=tuple((i, (after.activity_by_id.get(i) or before.activity_by_id[i]).title)
                     for i in (*activities.added, *activities.removed, *activities.edited)),
    )


__all__ = ["Added", "Edits", "edits_between"]
