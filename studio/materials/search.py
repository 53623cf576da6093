"""Library browsing helpers: Chinese full-text search (jieba words, all must match) and season of an occasion."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType
from studio.domain.views import TemplateView

_SEASON_TERMS = {
    "春": ("立春", "雨水", "惊蛰", "春分", "清明", "谷雨", "春季"),
    "夏": ("立夏", "小满", "芒种", "夏至", "小暑", "大暑", "夏季", "初伏", "中伏", "末伏"),
    "秋": ("立秋", "处暑", "白露", "秋分", "寒露", "霜降", "秋季"),
    "冬": ("立冬", "小雪", "大雪", "冬至", "小寒", "大寒", "冬季", "一九", "数九"),
}
SEASONS = tuple(_SEASON_TERMS)


def season_of(occasion: str | None) -> str | None:
    for season, names in _SEASON_TERMS.items():
        if occasion and any(occasion.startswith(n) for n in names):
            return season
    return None


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    import logging

    import jieba

    from studio.settings import get_settings

    jieba.setLogLevel(logging.WARNING)

    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(get_settings().data_dir)  # its dictionary cache lives with the app's data
    return tokenizer


def query_terms(query: str) -> list[str]:
    """Words of the query; single characters only when the query is one character."""
    query = query.strip()
    if not query:
        return []
    words = [w.strip() for w in _tokenizer().cut_for_search(query) if w.strip()]
    longer = [w for w in words if len(w) > 1]
    return sorted(set(longer or words), key=len, reverse=True)


def _haystack(t: TemplateView) -> str:
    labels = [OccasionKind(t.occasion_kind).label, ContentType(t.content_type).label, Persona(t.persona).label,
              Channel(t.channel).label, ProductType(t.product_type).label]
    return " ".join([t.code, t.title, t.body, t.occasion or "", t.region or "", *labels])


def search(templates: Iterable[TemplateView], query: str) -> list[TemplateView]:
    """Templates containing every word of the query (title, body, occasion, region and tag labels)."""
    terms = query_terms(query)
    if not terms:
        return list(templates)
    whole = "".join(query.split())
    out = []
    for t in templates:
        hay = _haystack(t)
        # The query as typed, or every word of it (冬至祝福 → 冬至 + 祝福, in any order).
        if whole in hay or all(term in hay for term in terms if not any(term in longer and term != longer for longer in terms)):
            out.append(t)
    return out
