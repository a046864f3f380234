"""Number series: document and master-data numbers as Business Central assigns them.

Each company has its own counters (kept in the shared `sys_sequence` table under
"<company id>:<series>"). A number given by the client is kept if it is unused.
"""

from __future__ import annotations

from .._common.records import Tx, next_number, reserve_numbers

# series -> (format, offset): the n-th number is format.format(n + offset)
SERIES: dict[str, tuple[str, int]] = {
    "CUST": ("C{:05d}", 0),
    "CONT": ("CT{:06d}", 0),
    "ITEM": ("I{:05d}", 0),
    "RES": ("R{:04d}", 0),
    "S-QUO": ("S-QUO{}", 1000),
    "S-ORD": ("S-ORD{}", 1000),
    "S-INV": ("S-INV{}", 1000),
    "PS-INV": ("PS-INV{}", 103000),
    "S-SHPT": ("S-SHPT{}", 102000),
    "S-CR": ("PS-CR{}", 104000),
    "PMT": ("G{:05d}", 0),
    "ADJ": ("ADJ{:05d}", 0),
    "SP": ("SP NO. {:05d}", 0),
    "OP": ("OP{:06d}", 0),
}


def next_code(tx: Tx, company_id: str, series: str) -> str:
    fmt, offset = SERIES[series]
    return fmt.format(next_number(tx.conn, tx.model, f"{company_id}:{series}") + offset)


def reserve_codes(tx: Tx, company_id: str, series: str, n: int) -> list[str]:
    """`n` consecutive numbers of a series at once, for bulk writes."""
    fmt, offset = SERIES[series]
    first = reserve_numbers(tx.conn, tx.model, f"{company_id}:{series}", n) if n else 0
    return [fmt.format(first + i + offset) for i in range(n)]


def next_entry(tx: Tx, company_id: str, ledger: str) -> int:
    """The next entry number of a ledger (item, customer, detailed, transaction)."""
    return next_number(tx.conn, tx.model, f"{company_id}:{ledger}")
