"""What a poster says: its text layers rendered with the slot values, the branch's overlay values, and the
one text the compliance engine checks for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from studio.localisation import slots
from studio.localisation.render import render
from studio.posters.layout import OverlayField, OverlayLayer, PosterLayout, TextLayer

BRANCH_FIELDS = tuple(field for field in OverlayField if not field.per_staff)


def layer_texts(layout: PosterLayout, values: Mapping[str, str]) -> dict[str, str]:
    """Each text layer's template text rendered with `values` in the localisation sandbox, by layer name."""
    plain = {key: str(value) for key, value in values.items()}
    return {layer.name: render(layer.text, plain) for layer in layout.text_layers}


def sample_values(specs: Iterable[slots.SlotSpec]) -> dict[str, str]:
    """Values for a template's own preview: its slots' samples, and the standard samples of the branch
    overlay fields it does not declare (so the preview shows an address where the branch will put one)."""
    values = slots.sample_values(list(specs))
    for field in BRANCH_FIELDS:
        values.setdefault(field.value, slots.STANDARD_SLOTS[field.value].sample)
    return values


def branch_fields(values: Mapping[str, object]) -> dict[OverlayField, str]:
    """The branch overlay values (bank name, branch name, address, hours) from the slot values of the same
    names; missing or blank ones are left out."""
    found = {field: str(values.get(field.value) or "").strip() for field in BRANCH_FIELDS}
    return {field: value for field, value in found.items() if value}


def overlay_text(layer: OverlayLayer, fields: Mapping[OverlayField, str]) -> str:
    """The overlay as drawn: its prefix and the value, or nothing when the value is missing."""
    value = (fields.get(layer.field) or "").strip()
    return f"{layer.prefix}{value}" if value else ""


def compliance_text(
    layout: PosterLayout, texts: Mapping[str, str], fields: Mapping[OverlayField, str]
) -> str:
    """Every layer's text in layer order (overlays with their prefix), the empty ones left out, one per
    line: what the poster says, checked as a whole like a text post."""
    parts: list[str] = []
    for layer in layout.layers:
        if isinstance(layer, TextLayer):
            parts.append(texts.get(layer.name, "").strip())
        elif isinstance(layer, OverlayLayer):
            parts.append(overlay_text(layer, fields))
    return "\n".join(part for part in parts if part)
