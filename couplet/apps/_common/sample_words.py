"""Word lists and places the reference services' sample data is made from.

Company names are Microsoft's fictitious ones (the names Dynamics demo data uses) and
phone numbers come from ranges reserved for fiction, so nothing seeded points at a real
business or person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

COMPANY_WORDS = [
    "Adatum",
    "Alpine Ski",
    "Blue Yonder",
    "City Power",
    "Coho",
    "Consolidated Messenger",
    "Contoso",
    "Fabrikam",
    "Fourth Coffee",
    "Graphic Design",
    "Humongous",
    "Litware",
    "Lucerne",
    "Margie's",
    "Northwind",
    "Proseware",
    "Relecloud",
    "School of Fine Art",
    "Southridge",
    "Tailspin",
    "Trey",
    "Wide World",
    "Wingtip",
    "Woodgrove",
    "Bellows",
    "Cronus",
    "Nod",
    "Olympia",
    "Parnell",
    "Tasmanian",
    "Vanarsdel",
    "Lamna",
    "Munson's",
    "Kinnaird",
    "Ironwood",
    "Hollowbrook",
    "Greenwood",
    "Fernhill",
    "Eastgate",
    "Dunmore",
]
INDUSTRIES = [
    "Furniture",
    "Outfitters",
    "Logistics",
    "Supplies",
    "Interiors",
    "Systems",
    "Foods",
    "Medical",
    "Engineering",
    "Consulting",
    "Hotels",
    "Bikes",
    "Motors",
    "Labs",
    "Traders",
    "Textiles",
    "Architects",
    "Printing",
    "Electronics",
    "Offices",
    "Healthcare",
    "Schools",
    "Workspace",
    "Studios",
    "Properties",
]
FIRST_NAMES = [
    "Adele",
    "Alex",
    "Amelia",
    "Anna",
    "Ben",
    "Carlos",
    "Chloe",
    "Daniel",
    "David",
    "Diego",
    "Elena",
    "Emma",
    "Ethan",
    "Fatima",
    "Grace",
    "Hannah",
    "Isabel",
    "Jack",
    "James",
    "Julia",
    "Kenji",
    "Laura",
    "Leo",
    "Liam",
    "Lucas",
    "Maria",
    "Mei",
    "Mia",
    "Noah",
    "Nora",
    "Olivia",
    "Omar",
    "Priya",
    "Rafael",
    "Sara",
    "Sofia",
    "Thomas",
    "Victor",
    "William",
    "Zoe",
]
LAST_NAMES = [
    "Abercrombie",
    "Anderson",
    "Bauer",
    "Becker",
    "Brown",
    "Chen",
    "Clarke",
    "Davis",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Hughes",
    "Jansen",
    "Johnson",
    "Kim",
    "Kowalski",
    "Lambert",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Novak",
    "Patel",
    "Peeters",
    "Rossi",
    "Schmidt",
    "Silva",
    "Smith",
    "Taylor",
    "Thomas",
    "Visser",
    "Walker",
    "Weber",
    "Williams",
    "Wilson",
    "Young",
]
JOB_TITLES = [
    "Purchasing Manager",
    "Office Manager",
    "Facilities Manager",
    "Chief Financial Officer",
    "Operations Director",
    "Buyer",
    "Accounts Payable Clerk",
    "Project Manager",
    "CEO",
    "Procurement Specialist",
    "IT Manager",
    "Workplace Coordinator",
]
SALES_TITLES = ["Account Executive", "Sales Manager", "Key Account Manager", "Inside Sales Rep"]
QUOTE_TOPICS = [
    "Office refresh",
    "New branch fit-out",
    "Annual supply agreement",
    "Meeting room upgrade",
    "Spring restock",
    "Ergonomics program",
    "Reception redesign",
    "Hybrid workplace project",
    "Warehouse expansion",
    "Replacement order",
    "Training center setup",
    "Year-end purchase",
]
STREETS = [
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Park",
    "Lake",
    "Hill",
    "Station",
    "Church",
    "Mill",
    "River",
    "Market",
    "Bridge",
    "Harbour",
    "King",
    "Queen",
]


@dataclass(frozen=True)
class Region:
    """A country accounts come from: currency, phone format, cities and company suffixes."""

    country: str
    currency: str
    weight: int
    cities: tuple[tuple[str, str, str], ...]  # city, state or province, postal code pattern
    suffixes: tuple[str, ...]
    phone: str  # pattern; '#' is a random digit
    street: str  # format with {n} (house number) and {s} (street word)


REGIONS = [
    Region(
        "United States",
        "USD",
        6,
        (
            ("Seattle", "WA", "981##"),
            ("Chicago", "IL", "606##"),
            ("Atlanta", "GA", "303##"),
            ("Denver", "CO", "802##"),
            ("Boston", "MA", "021##"),
            ("Austin", "TX", "787##"),
            ("San Diego", "CA", "921##"),
            ("Portland", "OR", "972##"),
        ),
        ("Inc.", "LLC", "Corp."),
        "+1 ### 555 01##",
        "{n} {s} Street",
    ),
    Region(
        "United Kingdom",
        "GBP",
        2,
        (
            ("London", "", "EC1A #AA"),
            ("Manchester", "", "M1 #AB"),
            ("Leeds", "", "LS1 #BA"),
            ("Bristol", "", "BS1 #QD"),
        ),
        ("Ltd", "plc"),
        "+44 20 7946 0###",
        "{n} {s} Road",
    ),
    Region(
        "Germany",
        "EUR",
        1,
        (
            ("München", "Bayern", "80###"),
            ("Hamburg", "Hamburg", "20###"),
            ("Köln", "Nordrhein-Westfalen", "50###"),
        ),
        ("GmbH", "AG"),
        "+49 30 #######",
        "{s}straße {n}",
    ),
    Region(
        "Netherlands",
        "EUR",
        1,
        (("Amsterdam", "Noord-Holland", "10## AB"), ("Utrecht", "Utrecht", "35## CD")),
        ("B.V.",),
        "+31 20 ### ####",
        "{s}straat {n}",
    ),
    Region(
        "France",
        "EUR",
        1,
        (("Lyon", "Auvergne-Rhône-Alpes", "69###"), ("Paris", "Île-de-France", "75###")),
        ("SA", "SARL"),
        "+33 1 ## ## ## ##",
        "{n} rue du {s}",
    ),
]

# Units per base currency unit (Dataverse's exchangerate), as of a quiet day.
PER_USD = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}
CURRENCY_NAMES = {"USD": ("US Dollar", "$"), "EUR": ("Euro", "€"), "GBP": ("Pound Sterling", "£")}

# name, lowest and highest list price (whole currency units), weight in kg
ITEMS = [
    ("Office Chair", 120, 450, 14),
    ("Standing Desk", 380, 990, 38),
    ("Conference Table", 650, 2400, 60),
    ("Filing Cabinet", 140, 420, 25),
    ("Bookshelf", 90, 260, 20),
    ("Desk Lamp", 25, 120, 2),
    ("Monitor Arm", 60, 210, 4),
    ("Whiteboard", 80, 320, 9),
    ("Guest Chair", 70, 240, 8),
    ("Storage Locker", 190, 640, 35),
    ("Reception Desk", 900, 3100, 80),
    ("Acoustic Panel", 45, 180, 3),
    ("Footrest", 20, 75, 2),
    ("Coat Stand", 35, 110, 5),
]
MODELS = [
    "ATHENS",
    "PARIS",
    "BERLIN",
    "ROME",
    "LONDON",
    "OSLO",
    "MADRID",
    "SYDNEY",
    "TOKYO",
    "AMSTERDAM",
    "MUNICH",
    "ANTWERP",
]
COLORS = ["Black", "White", "Oak", "Grey", "Blue"]
# name, hourly rate
SERVICES = [
    ("Installation", 95),
    ("On-site Consulting", 150),
    ("Design Workshop", 120),
    ("Maintenance Visit", 85),
    ("Training Session", 110),
    ("Project Management", 135),
    ("Space Planning", 125),
    ("Relocation Service", 90),
]
SERVICE_LEVELS = ["Standard", "Premium", "Express"]


def digits(rng: random.Random, pattern: str) -> str:
    """`pattern` with each '#' replaced by a random digit (phone numbers, postal codes)."""
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in pattern)


def money(rng: random.Random, low: float, high: float) -> Decimal:
    """A random amount between `low` and `high`, in whole cents."""
    return Decimal(rng.randrange(int(low * 100), int(high * 100) + 1)) / 100


def unique_name(name: str, city: str, taken: set[str]) -> str:
    """Real systems hold namesakes too, but unique names make sample data easier to search."""
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name} ({city})" if k == 2 else f"{name} ({city} {k - 1})"
    taken.add(candidate)
    return candidate
