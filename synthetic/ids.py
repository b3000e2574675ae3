"""Stripe-like identifiers: a prefix, a base-62 counter (unique) and a seeded random tail."""

from __future__ import annotations

import numpy as np

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, rem = divmod(value, 62)
        digits.append(_ALPHABET[rem])
    return "".join(reversed(digits))


class IdFactory:
    """Issues ids like `cus_0002Qx7bK1mZ9aPd` in a deterministic order for one prefix."""

    def __init__(self, prefix: str, rng: np.random.Generator, tail: int = 10) -> None:
        self.prefix = prefix
        self._rng = rng
        self._tail = tail
        self._count = 0
        self._pool: list[str] = []

    def _refill(self) -> None:
        codes = self._rng.integers(0, 62, size=(4096, self._tail))
        self._pool = ["".join(_ALPHABET[c] for c in row) for row in codes[::-1]]

    def next(self) -> str:
        if not self._pool:
            self._refill()
        self._count += 1
        return f"{self.prefix}{base62(self._count, 4)}{self._pool.pop()}"
