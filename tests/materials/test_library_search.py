"""Chinese full-text search and season filters of the material library, answered by the database."""

from __future__ import annotations

import pytest

from studio.materials.search import query_terms, season_of
from studio.services.templates import LibraryFilter, TemplateDraft, create_template, list_library

LIB = [  # codes tpl-aa, tpl-bb, tpl-cc
    ("a", "冬至问候", "冬至到了，祝您阖家团圆，记得吃饺子。", "冬至", "moments"),
    ("b", "春节祝福", "新春快乐，阖家幸福。", "春节", "group"),
    ("c", "防范电信诈骗", "陌生来电要求转账，一律是诈骗。", None, "moments"),
]


@pytest.fixture
def library(world):
    editor = world.actor("editor")
    for code, title, body, occasion, channel in LIB:
        create_template(
            world.session,
            editor,
            TemplateDraft(
                code=f"tpl-{code * 2}",
                title=title,
                body=body,
                occasion=occasion,
                occasion_kind="festival",
                content_type="culture",
                channel=channel,
            ),
        )
    return world


def found(world, query: str) -> list[str]:
    page = list_library(world.session, world.actor("editor"), LibraryFilter(query=query))
    return sorted(r.code.removeprefix("tpl-")[0] for r in page.rows)


def test_words_in_any_order_and_tag_labels_match(library):
    assert found(library, "冬至祝福") == []  # 祝福 is not in the 冬至 text
    assert found(library, "团圆 冬至") == ["a"]
    assert found(library, "春节 社群") == ["b"]  # channel label
    assert found(library, "防诈骗") == ["c"]
    assert found(library, "  ") == ["a", "b", "c"]


def test_words_inside_longer_words_and_one_character_queries_match(library):
    assert found(library, "团圆") == ["a"]  # inside 阖家团圆
    assert found(library, "阖家") == ["a", "b"]
    assert found(library, "冬") == ["a"]  # a lone character matches words starting with it
    assert found(library, "tpl-cc") == ["c"]  # the code
    assert found(library, "饺子 诈骗") == []  # every word must match


def test_query_words_drop_the_ones_inside_longer_words():
    assert sorted(query_terms("冬至 团圆")) == ["冬至", "团圆"]
    assert query_terms("阖家团圆") == ["阖家团圆"]
    assert query_terms("，。 ") == []


def test_season_of_solar_terms_and_seasons():
    assert season_of("冬至") == "冬" and season_of("立春") == "春" and season_of("初伏") == "夏"
    assert season_of("春节") is None
