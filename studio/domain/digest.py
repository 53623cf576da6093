"""The content digest a review decision binds to: what the reviewer saw and what the engine checked.

Frozen format: stored digests (and the reviews that name them) depend on it, so never change the fields
or their encoding; migration 0004 computes the same value for rows written before it. `images` (the sha256s
of a rendered poster and of the post's images, in order) joins the payload only when there are any, so every
text-only digest stays what it was.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_digest(
    *,
    title: str,
    text: str,
    channel: str,
    product_type: str,
    slots: list[dict[str, Any]] | None = None,
    images: list[str] | None = None,
) -> str:
    """sha256 over the canonical JSON of the reviewable content (text or template body, slots, tags, images)."""
    payload: dict[str, Any] = {
        "title": title,
        "text": text,
        "channel": channel,
        "product_type": product_type,
        "slots": slots or [],
    }
    if images:
        payload["images"] = list(images)
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
