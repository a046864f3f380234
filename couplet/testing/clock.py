"""A clock tests can set and move, injected wherever the engine needs the time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class FakeClock:
    """Returns `now`; with a `tick` every reading also moves time on by that much, so rows
    written one after another get distinct modified-on values (as on a real server)."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    tick: dt.timedelta = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        current = self.now
        self.now += self.tick
        return current

    def advance(self, seconds: float = 1.0) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now
