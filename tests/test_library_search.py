"""Chinese full-text search and season filters of the material library."""

from __future__ import annotations

from datetime import UTC, datetime

from studio.domain.views import TemplateView
from studio.materials.search import search, season_of


def view(code, title, body, occasion=None, channel="moments"):
    return TemplateView(id=1, code=code, lock_version=1, version_id=1, version_no=1, title=title, body=body,
                        slots=[], occasion_kind="festival", occasion=occasion, content_type="culture",
                        persona="expert", channel=channel, product_type="general", region=None, valid_from=None,
                        valid_to=None, state="approved", verdict="pass", findings=[], ruleset="x",
                        created_at=datetime.now(UTC), submitted_by=None)


LIB = [
    view("a", "冬至问候", "冬至到了，祝您阖家团圆，记得吃饺子。", "冬至"),
    view("b", "春节祝福", "新春快乐，阖家幸福。", "春节", channel="group"),
    view("c", "防范电信诈骗", "陌生来电要求转账，一律是诈骗。"),
]


def test_words_in_any_order_and_tag_labels_match():
    assert [t.code for t in search(LIB, "冬至祝福")] == []  # 祝福 is not in the 冬至 text
    assert [t.code for t in search(LIB, "团圆 冬至")] == ["a"]
    assert [t.code for t in search(LIB, "春节 社群")] == ["b"]  # channel label
    assert [t.code for t in search(LIB, "防诈骗")] == ["c"]
    assert len(search(LIB, "  ")) == 3


def test_season_of_solar_terms_and_seasons():
    assert season_of("冬至") == "冬" and season_of("立春") == "春" and season_of("初伏") == "夏"
    assert season_of("春节") is None
