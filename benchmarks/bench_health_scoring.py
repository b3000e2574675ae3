"""Time `score_health` for one day of synthetic accounts (default 100,000) and print the figure.

Run: .venv/bin/python benchmarks/bench_health_scoring.py [accounts]
About a tenth of each metric is NULL so that the rescaling and coverage paths are exercised.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import numpy as np
import polars as pl

from orchestration.config import load_health_config
from transforms.health import score_health


def synthetic_metrics(accounts: int, seed: int = 7) -> pl.DataFrame:
    config = load_health_config()
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "account_id": [f"acc_{i:07d}" for i in range(accounts)],
        "as_of_date": [dt.date(2026, 11, 20)] * accounts,
    }
    for metric in (*config.metrics, "usage_vs_limit"):
        name = metric if isinstance(metric, str) else metric.name
        upper = 2.0 if isinstance(metric, str) else (metric.worst or metric.ideal) * 1.5
        values = rng.uniform(0.0, upper, accounts)
        missing = rng.random(accounts) < 0.1
        columns[name] = pl.Series(name, values).set(pl.Series(missing), None)
    return pl.DataFrame(columns)


def main() -> None:
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    config = load_health_config()
    metrics = synthetic_metrics(accounts)
    score_health(metrics.head(1000), config)  # warm-up: first-call overheads are not scoring
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        scores = score_health(metrics, config)
        timings.append(time.perf_counter() - start)
    scored = scores["score"].is_not_null().sum()
    print(
        f"score_health: {accounts:,} accounts, one day: "
        f"best {min(timings):.3f} s, median {sorted(timings)[2]:.3f} s over 5 runs "
        f"({scored:,} scored, {accounts - scored:,} insufficient_data)"
    )


if __name__ == "__main__":
    main()
