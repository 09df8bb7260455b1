"""Loops in links between ids: line managers (people) and `after` (activities)."""
from __future__ import annotations


def find_loops(links: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Loops in `links` (id -> ids it points to): at least one wherever there is one, which is
    enough to tell the user where to cut. An explicit stack, so a long chain cannot overflow."""
    loops: list[list[str]] = []
    seen_loops: set[frozenset[str]] = set()
    done: set[str] = set()
    for start in links:
        if start in done:
            continue
        path, walks = [start], [iter(links[start])]
        while walks:
            target = next(walks[-1], None)
            if target is None:
                done.add(path.pop())
                walks.pop()
            elif target in path:
                loop = path[path.index(target):]
                if frozenset(loop) not in seen_loops:
                    seen_loops.add(frozenset(loop))
                    loops.append(loop + [target])
            elif target not in done and target in links:
                path.append(target)
                walks.append(iter(links[target]))
    return loops
