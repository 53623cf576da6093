"""The library gate: every problem of the library files as one `file:line field: message` line.

`check_library` is the only place that decides whether library files are acceptable. `studio library
check` prints its report; `studio library import` (and the demo seed, which calls the importer) writes
the entries of that same report and only when it has no problem, so check and import cannot drift apart.

Built on the loader (YAML, line of each key) and the same `validate_draft` the template service uses,
plus what the service cannot know: unknown keys, code format, region names, declared slots the body never
uses, duplicate codes across files, and the compliance verdict of the text rendered with sample values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pydantic

from studio.domain.enums import Channel, OccasionKind, ProductType, Verdict
from studio.errors import StudioError, ValidationError
from studio.localisation.draft import CODE_PATTERN, used_variables, validate_draft
from studio.localisation.slots import SlotSpec
from studio.materials import poster_check
from studio.materials.loader import (
    ENTRY_KEYS,
    POSTERS_DIR,
    REQUIRED_KEYS,
    LibraryEntry,
    in_posters_dir,
    load_library,
    template_files,
)
from studio.materials.loader import LoadProblem as Problem
from studio.posters.layout import PosterLayout

SLOT_KEYS = set(SlotSpec.model_fields)
TEXT_KEYS = (
    "code",
    "title",
    "body",
    "occasion",
    "region",
    "occasion_kind",
    "content_type",
    "persona",
    "channel",
    "product_type",
)


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


class LibraryProblems(ValidationError):
    """The library files have problems; nothing was written. `problems` holds each one (file:line field)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0] if problems else "?"
        super().__init__(
            f"library has {len(problems)} problem(s), nothing imported; first: {first}",
            f"素材库文件有 {len(problems)} 处问题，未导入任何内容；第一处：{first}",
        )


def check_library(library_dir: Path, *, compliance: bool = True) -> CheckReport:
    """Load and check every template file under `library_dir/templates` and `library_dir/posters`; never
    raises on bad content."""
    if not (library_dir / "templates").is_dir() and not (library_dir / POSTERS_DIR).is_dir():
        raise ValidationError(
            f"no templates directory in {library_dir}", f"素材库目录 {library_dir} 下没有 templates 目录。"
        )
    if not template_files(library_dir):
        raise ValidationError(
            f"no template files (*.yaml) in {library_dir / 'templates'}",
            f"{library_dir / 'templates'} 下没有模板文件（*.yaml）。",
        )
    entries, load_problems = load_library(library_dir)
    report = CheckReport(entries=entries)
    report.problems.extend(load_problems)
    seen: dict[str, LibraryEntry] = {}
    for entry in entries:
        code = entry.data.get("code")
        if isinstance(code, str) and code in seen:
            report.problems.append(
                entry.problem("code", f"duplicate code {code!r} (first at {seen[code].where})")
            )
        elif isinstance(code, str) and code:
            seen[code] = entry
        report.problems.extend(check_entry(entry, compliance=compliance, library_dir=library_dir))
    report.problems.sort(key=lambda p: (str(p.path), p.line, p.field or ""))
    return report


def check_entry(
    entry: LibraryEntry, *, compliance: bool = True, library_dir: Path | None = None
) -> list[Problem]:
    """Problems of one entry (not counting duplicates, which need the whole library). Image files are
    looked up below `library_dir/posters` (default: the library the entry's file lies in)."""
    library = library_dir or entry.path.parent.parent
    # Unknown keys are reported but do not stop the other checks: the importer never reads them.
    problems = _unknown_keys(entry)
    structural = _structural_problems(entry) + _placement_problems(entry, library)
    if structural:  # validating or rendering a malformed entry would only repeat these less clearly
        return problems + structural
    problems += _region_problems(entry) + poster_check.image_list_problems(entry, library)
    if entry.is_poster and (layout_problems := poster_check.layout_problems(entry, library)):
        return problems + layout_problems
    try:
        draft = entry.draft()
    except pydantic.ValidationError as error:
        return problems + _pydantic_problems(entry, error)
    try:
        draft, slots, sample = validate_draft(draft)
    except StudioError as error:
        return [*problems, entry.problem(_field_of(error.message_en), error.message_en)]
    layout = PosterLayout.model_validate(draft.poster) if draft.poster else None
    used = used_variables(draft.body, layout)
    declared = [str(s.get("name")) for s in entry.data.get("slots") or []]
    problems += [
        entry.problem(
            f"slots[{i}]", f"declared slot {name!r} not used in " + ("any layer" if layout else "body")
        )
        for i, name in enumerate(declared)
        if name not in used
    ]
    if layout is not None:
        problems += poster_check.fit_problems(entry, layout, slots)
        if compliance:
            problems += poster_check.compliance_problems(
                entry, layout, slots, draft.product_type, draft.channel
            )
    elif compliance:
        problems += [
            entry.problem("body", p) for p in _compliance_problems(sample, draft.product_type, draft.channel)
        ]
    return problems


def _placement_problems(entry: LibraryEntry, library_dir: Path) -> list[Problem]:
    """Poster entries live in posters/ and derive their body from their layers; text entries elsewhere."""
    in_posters = in_posters_dir(library_dir, entry.path)
    if entry.is_poster and "body" in entry.data:
        return [entry.problem("body", "a poster's body is derived from its text layers: remove it")]
    if entry.is_poster and not in_posters:
        return [entry.problem("poster", f"poster templates belong in {POSTERS_DIR}/*.yaml")]
    if not entry.is_poster and in_posters:
        return [entry.problem(None, f"entries in {POSTERS_DIR}/ need a poster: layout")]
    return []


def _unknown_keys(entry: LibraryEntry) -> list[Problem]:
    problems = [entry.problem(str(key), "unknown field") for key in entry.data if key not in ENTRY_KEYS]
    slots = entry.data.get("slots")
    for index, slot in enumerate(slots if isinstance(slots, list) else []):
        if isinstance(slot, dict):
            problems += [
                entry.problem(f"slots[{index}].{k}", "unknown field") for k in slot if k not in SLOT_KEYS
            ]
    return problems


def _structural_problems(entry: LibraryEntry) -> list[Problem]:
    """Unknown or missing keys, wrong types, bad code: what must hold before the entry means anything."""
    data = entry.data
    required = REQUIRED_KEYS - {"body"} if entry.is_poster else REQUIRED_KEYS
    problems = [
        entry.problem(key, "field required") for key in sorted(required) if data.get(key) in (None, "")
    ]
    for key in TEXT_KEYS:
        if data.get(key) is not None and not isinstance(data[key], str):
            problems.append(entry.problem(key, f"must be text, not {_type_name(data[key])}"))
    code = data.get("code")
    if isinstance(code, str) and code and not CODE_PATTERN.match(code):
        problems.append(
            entry.problem(
                "code", f"{code!r} must be 2-80 characters of a-z, 0-9 and '-' (no path characters)"
            )
        )
    slots = data.get("slots")
    if slots is not None and not isinstance(slots, list):
        return [*problems, entry.problem("slots", f"must be a list, not {_type_name(slots)}")]
    for index, slot in enumerate(slots or []):
        key = f"slots[{index}]"
        if not isinstance(slot, dict):
            problems.append(entry.problem(key, "each slot must be a mapping"))
            continue
        try:
            SlotSpec.model_validate(slot)
        except pydantic.ValidationError as error:
            problems += _pydantic_problems(entry, error, prefix=key)
    return problems


def _pydantic_problems(
    entry: LibraryEntry, error: pydantic.ValidationError, prefix: str = ""
) -> list[Problem]:
    """One problem per failing field, named by its key path, instead of pydantic's multi-line dump."""
    problems = []
    for item in error.errors(include_url=False):
        key = prefix
        for part in item["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        message = item["msg"]
        problems.append(entry.problem(key or None, message[:1].lower() + message[1:]))
    return problems


def _field_of(message: str) -> str:
    """The key a `validate_draft` message is about: its first word when that is a key (`title longer than
    80`, `unknown channel 'x'`, `valid_to before valid_from`), else the body, which every other check of
    the service (slots used, rendering, length for the channel) is about."""
    words = message.split()
    for word in words[:2]:
        if word in ENTRY_KEYS:
            return word
    if (
        words
        and words[0].endswith(":")
        and words[0].partition(".")[0].partition("[")[0].rstrip(":") in ENTRY_KEYS
    ):
        return words[0].rstrip(":")  # `poster.layers[2].box: …`, `images: …`
    return "slots" if message.startswith("invalid slot") else "body"


def _type_name(value: object) -> str:
    return {
        "list": "a list",
        "dict": "a mapping",
        "int": "a number",
        "float": "a number",
        "bool": "true/false",
        "date": "a date",
        "datetime": "a date",
    }.get(type(value).__name__, type(value).__name__)


def _region_problems(entry: LibraryEntry) -> list[Problem]:
    from studio.occasions.provinces import PROVINCES

    region = entry.data.get("region")
    if region in (None, ""):
        if entry.data.get("occasion_kind") == OccasionKind.REGIONAL.value:
            return [
                entry.problem("region", "regional template needs a region (province short name, e.g. 广西)")
            ]
        return []
    if region not in PROVINCES:
        return [
            entry.problem(
                "region", f"unknown region {region!r}: use a province short name such as 广西, 云南, 内蒙古"
            )
        ]
    return []


def _compliance_problems(text: str, product_type: str, channel: str) -> list[str]:
    from studio.compliance import check_text

    result = check_text(text, product=ProductType(product_type), channel=Channel(channel))
    if result.verdict is Verdict.PASS:
        return []
    hits = "; ".join(
        f"{f.code} {f.slug}" + (f" “{f.text}”" if f.text else "")
        for f in result.findings
        if f.severity.value != "info"
    )
    return [f"compliance verdict {result.verdict.value} for {product_type}/{channel}: {hits}"]
