"""`studio library check`: every problem of the library files as `file:line: message`.

Built on the loader (YAML, line numbers) and the same `validate_draft` the importer uses, plus the checks
an import cannot make on its own: unknown keys, code format, region names, declared slots the body never
uses, and the compliance verdict of the text rendered with the slots' sample values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from studio.domain.enums import Channel, OccasionKind, ProductType, Verdict
from studio.errors import StudioError, ValidationError
from studio.localisation.slots import SlotSpec
from studio.materials.loader import ENTRY_KEYS, REQUIRED_KEYS, LibraryEntry, load_library, template_files
from studio.materials.loader import LoadProblem as Problem

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
SLOT_KEYS = set(SlotSpec.model_fields)


@dataclass
class CheckReport:
    entries: list[LibraryEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def files(self) -> int:
        return len({e.path for e in self.entries} | {p.path for p in self.problems})


def check_library(library_dir: Path, *, compliance: bool = True) -> CheckReport:
    """Load and check every template file under `library_dir/templates`; never raises on bad content."""
    if not (library_dir / "templates").is_dir():
        raise ValidationError(f"no templates directory in {library_dir}",
                              f"素材库目录 {library_dir} 下没有 templates 目录。")
    if not template_files(library_dir):
        raise ValidationError(f"no template files (*.yaml) in {library_dir / 'templates'}",
                              f"{library_dir / 'templates'} 下没有模板文件（*.yaml）。")
    entries, load_problems = load_library(library_dir)
    report = CheckReport(entries=entries)
    report.problems.extend(load_problems)
    seen: dict[str, LibraryEntry] = {}
    for entry in entries:
        code = str(entry.data.get("code") or "")
        if code and code in seen:
            report.problems.append(Problem(entry.path, entry.line,
                                           f"duplicate code {code!r} (first at {seen[code].where})"))
        elif code:
            seen[code] = entry
        report.problems.extend(check_entry(entry, compliance=compliance))
    report.problems.sort(key=lambda p: (str(p.path), p.line))
    return report


def check_entry(entry: LibraryEntry, *, compliance: bool = True) -> list[Problem]:
    """Problems of one entry (not counting duplicates, which need the whole library)."""
    from studio.localisation.render import variables_of
    from studio.services.templates import validate_draft

    data = entry.data
    unknown = sorted(set(data) - ENTRY_KEYS)
    notes = [f"unknown key(s): {', '.join(unknown)}"] if unknown else []  # reported, but the rest still checked
    problems: list[str] = []
    missing = sorted(k for k in REQUIRED_KEYS if data.get(k) in (None, ""))
    if missing:
        problems.append(f"missing key(s): {', '.join(missing)}")
    code = data.get("code")
    if code is not None and not (isinstance(code, str) and CODE_PATTERN.match(code)):
        problems.append(f"code {code!r} must be 2-80 characters of a-z, 0-9 and '-'")
    for key in ("title", "body", "occasion", "region"):
        if data.get(key) is not None and not isinstance(data[key], str):
            problems.append(f"{key} must be text, not {type(data[key]).__name__}")
    slots = data.get("slots")
    if slots is not None and not isinstance(slots, list):
        problems.append("slots must be a list")
        slots = []
    for slot in slots or []:
        if not isinstance(slot, dict):
            problems.append("each slot must be a mapping")
            continue
        extra = sorted(set(slot) - SLOT_KEYS)
        if extra:
            problems.append(f"slot {slot.get('name')!r}: unknown key(s): {', '.join(extra)}")
    if problems:  # structural problems: rendering would only repeat them less clearly
        return [Problem(entry.path, entry.line, p) for p in notes + problems]
    problems = notes + _region_problems(data)

    try:
        draft, _slots, sample = validate_draft(entry.draft())
    except StudioError as error:
        problems.append(error.message_en)
        return [Problem(entry.path, entry.line, p) for p in problems]
    except Exception as error:  # pydantic names the bad field in the first line
        problems.append(str(error).splitlines()[0])
        return [Problem(entry.path, entry.line, p) for p in problems]

    declared = {str(s.get("name")) for s in slots or [] if isinstance(s, dict)}
    unused = sorted(declared - variables_of(draft.body))
    if unused:
        problems.append(f"declared slot(s) not used in body: {', '.join(unused)}")
    if compliance:
        problems.extend(_compliance_problems(sample, draft.product_type, draft.channel))
    return [Problem(entry.path, entry.line, p) for p in problems]


def _region_problems(data: dict[str, object]) -> list[str]:
    from studio.occasions.provinces import PROVINCES

    region = data.get("region")
    kind = data.get("occasion_kind")
    if region in (None, ""):
        if kind == OccasionKind.REGIONAL.value:
            return ["regional template needs a region (province short name, e.g. 广西)"]
        return []
    if region not in PROVINCES:
        return [f"unknown region {region!r}: use a province short name such as 广西, 云南, 内蒙古"]
    return []


def _compliance_problems(text: str, product_type: str, channel: str) -> list[str]:
    from studio.compliance import check_text

    result = check_text(text, product=ProductType(product_type), channel=Channel(channel))
    if result.verdict is Verdict.PASS:
        return []
    hits = "; ".join(
        f"{f.code} {f.slug}" + (f" “{f.text}”" if f.text else "") for f in result.findings
        if f.severity.value != "info"
    )
    return [f"compliance verdict {result.verdict.value} for {product_type}/{channel}: {hits}"]
