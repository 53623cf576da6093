"""`studio library export`: the database's latest template versions written back as library files.

The output directory is itself a library (`OUT/templates/<occasion_kind>.yaml`), in the format the loader
reads, so `studio library check --library OUT` and a re-import work on it. Standard slots are left out
(the loader resolves them again); declared slots keep only the fields that differ from the defaults.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from studio.db.models import Template, TemplateVersion
from studio.domain.enums import OccasionKind
from studio.domain.views import Actor
from studio.localisation.slots import STANDARD_SLOTS, SlotSpec
from studio.materials.loader import ENTRY_ORDER
from studio.workflow.permissions import require

# Slot fields always written, in this order; the others only when they differ from SlotSpec's default.
SLOT_ALWAYS = ("name", "label", "type", "max_length", "sample")
SLOT_OPTIONAL = ("choices", "required", "help")


@dataclass
class ExportReport:
    files: dict[Path, int] = field(default_factory=dict)  # path -> templates written

    @property
    def templates(self) -> int:
        return sum(self.files.values())


class _Flow(list[Any]):
    """A list written in flow style (slot choices)."""


class _FlowMap(dict[str, Any]):
    """A mapping written in flow style (one slot per line, as in the hand-written files)."""


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(
    _FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)


def _latest_versions(session: Session) -> list[tuple[Template, TemplateVersion]]:
    rows = session.exec(
        select(Template, TemplateVersion).join(
            TemplateVersion, col(TemplateVersion.template_id) == col(Template.id)
        )
    )
    latest: dict[int, tuple[Template, TemplateVersion]] = {}
    for template, version in rows:
        current = latest.get(template.id or 0)
        if current is None or version.version_no > current[1].version_no:
            latest[template.id or 0] = (template, version)
    return sorted(latest.values(), key=lambda tv: tv[0].code)


def declared_slots(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The slots a library file must declare: the stored ones that are not unchanged standard slots."""
    defaults = SlotSpec(name="x", label="x")
    out: list[dict[str, Any]] = []
    for raw in stored:
        spec = SlotSpec.model_validate(raw)
        if STANDARD_SLOTS.get(spec.name) == spec:
            continue
        slot: dict[str, Any] = {key: getattr(spec, key) for key in SLOT_ALWAYS}
        slot["type"] = spec.type.value
        for key in SLOT_OPTIONAL:
            if getattr(spec, key) != getattr(defaults, key):
                slot[key] = _Flow(spec.choices) if key == "choices" else getattr(spec, key)
        out.append(_FlowMap(slot))
    return out


def entry_of(template: Template, version: TemplateVersion) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": template.code,
        "title": version.title,
        "occasion_kind": version.occasion_kind,
        "occasion": version.occasion,
        "content_type": version.content_type,
        "persona": version.persona,
        "channel": version.channel,
        "product_type": version.product_type,
        "region": version.region,
        "valid_from": version.valid_from,
        "valid_to": version.valid_to,
        "slots": declared_slots(version.slots),
        "body": version.body,
    }
    return {key: values[key] for key in ENTRY_ORDER if values[key] not in (None, "", [])}


def _file_name(kind: str) -> str:
    return f"{kind.replace('_', '-')}.yaml"


def export_library(session: Session, actor: Actor, out_dir: Path) -> ExportReport:
    """Write `out_dir/templates/<kind>.yaml`, one file per occasion kind that has templates (HQ's library,
    shared with every org: the capability is the check)."""
    require(actor, "template.read")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for template, version in _latest_versions(session):
        groups[version.occasion_kind].append(entry_of(template, version))
    target = out_dir / "templates"
    target.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    order = [k.value for k in OccasionKind] + sorted(set(groups) - {k.value for k in OccasionKind})
    for kind in order:
        if kind not in groups:
            continue
        path = target / _file_name(kind)
        header = f"# Exported from the studio database: latest version of each {kind} template.\n"
        text = yaml.dump(
            {"templates": groups[kind]},
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            width=4096,
            default_flow_style=False,
        )
        path.write_text(header + text, encoding="utf-8")
        report.files[path] = len(groups[kind])
    return report
