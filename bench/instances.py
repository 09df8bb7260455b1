"""Benchmark instances: the example area scaled to SIZES activity rows.

`python -m bench.instances` writes each size to bench/instances/<rows>/ as CSV (git-ignored).
"""
from __future__ import annotations

from pathlib import Path

from fixtures.example import Tables, example_tables, write_tables

SIZES: tuple[int, ...] = (40, 110, 250, 600)
OUT_DIR = Path(__file__).parent / "instances"


def instance_tables(rows: int, seed: int = 1) -> Tables:
    """The Northmere example grown (or shrunk) to `rows` activity rows, everything in proportion."""
    return example_tables(rows=rows, seed=seed)


def main() -> None:
    for rows in SIZES:
        for path in write_tables(instance_tables(rows), csv_dir=OUT_DIR / str(rows)):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
