"""FX rate contract: `fx_rates.csv` with date, currency, rate (units of reporting currency per unit)."""

from __future__ import annotations

import polars as pl

from data_contracts.contracts import Contract, FrameRule, above, contract, currency

CONTRACTS: dict[str, Contract] = {
    "fx_rates": contract(
        "fx_rates__fx_rates",
        required=("date", "currency", "rate"),
        rules={"currency": [currency()], "rate": [above(0.0)]},
        frame_rules=[
            FrameRule(
                "fx_rates.fx_rates.rate_finite",
                pl.col("rate").is_finite(),
                "rate",
                "rate must be a finite number (not NaN or infinity)",
            )
        ],
    )
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {"fx_rates": ("date", "currency", "rate")}
