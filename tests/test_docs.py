"""The repo is self-contained: what code and README cite exists in `docs/`.

Code cites behaviour and wire details by section number (docs/README.md, "Citing these
pages"); a renumbered or deleted section would leave those citations pointing nowhere, which
no other test notices.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCES = ("couplet", "tests", "bench")
SUFFIXES = {".py", ".toml", ".md", ".html"}

# "§5.2", "§ 5.2", "§A3"; a range "§5-§7" is two citations.
SECTION = re.compile(r"§ ?([AB]?\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{2,4} ([AB]?\d+(?:\.\d+)*)\.? ", re.MULTILINE)
# Spelled in pieces so that a grep for them over the repo finds nothing here either.
OUTSIDE = ("../" + "shared", "shared" + "/spec", "DESIGN" + ".md", "integration" + "-behaviour")
LINK = re.compile(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)")


def _sections(page: str) -> set[str]:
    return set(HEADING.findall((DOCS / page).read_text(encoding="utf-8")))


def _sources() -> list[Path]:
    files = [ROOT / "README.md"]
    for top in SOURCES:
        files += [p for p in (ROOT / top).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    return files


def test_every_cited_section_has_a_heading() -> None:
    behaviour, protocols = _sections("behaviour.md"), _sections("protocols.md")
    assert {"5.2", "7.1"} <= behaviour and {"A3", "B7"} <= protocols  # the parser works
    missing = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for section in SECTION.findall(line):
                known = protocols if section[0] in "AB" else behaviour
                if section not in known:
                    missing.append(f"{path.relative_to(ROOT)}:{number}: §{section}")
    assert not missing, "cited sections with no heading in docs/:\n" + "\n".join(missing)


def test_nothing_points_outside_the_repo() -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*_sources(), *DOCS.rglob("*.md")]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if path != Path(__file__) and any(ref in line for ref in OUTSIDE)
    ]
    assert not outside, "references to documents a clone does not have:\n" + "\n".join(outside)


def test_readme_and_docs_links_resolve() -> None:
    broken = []
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if not (page.parent / target).resolve().is_file():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert (DOCS / "README.md").is_file() and "docs/README.md" in (ROOT / "README.md").read_text()
    assert not broken, "links to missing pages:\n" + "\n".join(broken)
