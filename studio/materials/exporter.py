"""`studio library export`: the database's latest template versions written back as library files.

The output directory is itself a library (`OUT/templates/<occasion_kind>.yaml`, poster templates in
`OUT/posters/<occasion_kind>.yaml`), in the format the loader reads, so `studio library check --library OUT`
and a re-import work on it. Standard slots are left out (the loader resolves them again); declared slots
keep only the fields that differ from the defaults. Backgrounds and images are written once each to
`OUT/posters/backgrounds/<asset title>.<ext>` and named by that path.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from studio.db.models import Asset, Template, TemplateVersion
from studio.domain.enums import OccasionKind
from studio.domain.views import Actor
from studio.errors import ValidationError
from studio.localisation.slots import STANDARD_SLOTS, SlotSpec
from studio.materials import asset_store
from studio.materials.loader import ENTRY_ORDER, POSTERS_DIR
from studio.posters.layout import OverlayLayer, QrLayer, TextLayer
from studio.settings import get_settings
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


_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_UNSAFE = re.compile(r"[^0-9A-Za-z_\-\u4e00-\u9fff]+")
_LAYER_FIRST = ("name", "kind", "text", "field", "box", "font_size")
_LAYER_MODELS: dict[str, type[TextLayer | OverlayLayer | QrLayer]] = {
    "text": TextLayer,
    "overlay": OverlayLayer,
    "qr": QrLayer,
}


class _Images:
    """Writes each asset a template names once, to posters/backgrounds/<title>.<ext>; returns the name."""

    def __init__(self, session: Session, out_dir: Path) -> None:
        self.session, self.folder = session, out_dir / POSTERS_DIR / "backgrounds"
        self.names: dict[str, str] = {}  # sha256 -> file name below posters/

    def name(self, sha256: str, fallback: str) -> str:
        if sha256 in self.names:
            return self.names[sha256]
        asset = self.session.exec(select(Asset).where(col(Asset.sha256) == sha256)).first()
        if asset is None:
            raise ValidationError(
                f"template {fallback} names a missing image {sha256}", "模板引用的图片素材不存在。"
            )
        ext = _EXT[asset.media_type]
        stem = _UNSAFE.sub("-", asset.title).strip("-")[:60] or fallback
        if f"backgrounds/{stem}.{ext}" in self.names.values():
            stem = f"{stem}-{sha256[:8]}"
        source = asset_store.path_for(get_settings().data_dir / "assets", sha256, ext)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{stem}.{ext}").write_bytes(source.read_bytes())
        self.names[sha256] = f"backgrounds/{stem}.{ext}"
        return self.names[sha256]


def _layer(raw: dict[str, Any]) -> _FlowMap:
    """One layer on one line: its identifying keys first, then only what differs from the defaults."""
    model = _LAYER_MODELS[raw["kind"]]
    out = _FlowMap({k: raw[k] for k in _LAYER_FIRST if k in raw})
    for key, value in raw.items():
        if key not in out and value != model.model_fields[key].default:
            out[key] = value
    if "font_size" in out:
        out["font_size"] = _Flow(out["font_size"])
    return out


def _poster(raw: dict[str, Any], images: _Images, code: str) -> dict[str, Any]:
    return {
        "background": images.name(raw["background"], code),
        "width": raw["width"],
        "height": raw["height"],
        "layers": [_layer(layer) for layer in raw["layers"]],
    }


def entry_of(template: Template, version: TemplateVersion, images: _Images | None = None) -> dict[str, Any]:
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
        "images": None,
        "poster": None,
    }
    if images is not None and version.images:
        values["images"] = _Flow(images.name(sha, template.code) for sha in version.images)
    if images is not None and version.poster:
        values["poster"] = _poster(version.poster, images, template.code)
        values["body"] = None  # derived from the text layers
    return {key: values[key] for key in ENTRY_ORDER if values[key] not in (None, "", [])}


def _file_name(kind: str) -> str:
    return f"{kind.replace('_', '-')}.yaml"


def export_library(session: Session, actor: Actor, out_dir: Path) -> ExportReport:
    """Write `out_dir/templates/<kind>.yaml`, one file per occasion kind that has templates (HQ's library,
    shared with every org: the capability is the check)."""
    require(actor, "template.read")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    images = _Images(session, out_dir)
    for template, version in _latest_versions(session):
        folder = POSTERS_DIR if version.poster else "templates"
        groups[(folder, version.occasion_kind)].append(entry_of(template, version, images))
    (out_dir / "templates").mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    order = [k.value for k in OccasionKind] + sorted({k for _, k in groups} - {k.value for k in OccasionKind})
    for folder in ("templates", POSTERS_DIR):
        for kind in order:
            if (folder, kind) in groups:
                report.files[_write(out_dir / folder, kind, groups[(folder, kind)])] = len(
                    groups[(folder, kind)]
                )
    return report


def _write(target: Path, kind: str, entries: list[dict[str, Any]]) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    path = target / _file_name(kind)
    header = f"# Exported from the studio database: latest version of each {kind} template.\n"
    text = yaml.dump(
        {"templates": entries},
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=4096,
        default_flow_style=False,
    )
    path.write_text(header + text, encoding="utf-8")
    return path
