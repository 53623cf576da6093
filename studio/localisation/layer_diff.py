"""What a branch changed on a poster, layer by layer: each text layer's (and branch overlay's) text as the
template's sample renders it against the variant's, as a character diff per layer.

Pure: a layout and two {layer name: text} maps in, values out. Staff overlays (name, title) and the QR code
are filled per staff member, so they are no part of what a reviewer approves and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from studio.localisation.diff import diff_segments

if TYPE_CHECKING:  # a type only: studio.posters imports this package, not the other way round
    from studio.posters.layout import PosterLayout


class LayerDiff(BaseModel):
    """One layer: its text before (the template's; None when there is nothing to compare with) and after."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["text", "overlay"]
    label: str  # Chinese: 文字 or the overlay's field
    before: str | None
    after: str
    segments: list[tuple[str, str]]  # (equal | insert | delete, text), as diff_segments gives them

    @property
    def changed(self) -> bool:
        return self.before is not None and self.before != self.after


def layer_diff(
    layout: PosterLayout, template_texts: Mapping[str, str] | None, variant_texts: Mapping[str, str]
) -> list[LayerDiff]:
    """Per layer, in the layout's order: the template's text against the variant's. `template_texts` None
    means a first version (nothing to compare with: each layer shows its text only)."""
    out = []
    for layer in layout.layers:
        if layer.kind == "qr" or (layer.kind == "overlay" and layer.field.per_staff):
            continue
        after = variant_texts.get(layer.name, "")
        before = None if template_texts is None else template_texts.get(layer.name, "")
        if not after and not before:
            continue  # an overlay neither side fills (e.g. no address given)
        label = "文字" if layer.kind == "text" else layer.field.label
        segments = diff_segments(before, after) if before is not None else [("equal", after)]
        out.append(
            LayerDiff(
                name=layer.name, kind=layer.kind, label=label, before=before, after=after, segments=segments
            )
        )
    return out
