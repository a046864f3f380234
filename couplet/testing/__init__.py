"""Reusable fakes for tests: a settable clock and the engine state kept in memory."""
