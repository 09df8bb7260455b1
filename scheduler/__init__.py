"""The CP-SAT timetable: candidates -> variables -> one function per rule -> objective -> solve."""
from scheduler.solve import solve

__all__ = ["solve"]
