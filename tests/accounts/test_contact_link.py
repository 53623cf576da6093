"""The contact-link gate (studio.domain.contact_link): what a QR code on a poster may send customers to."""

from __future__ import annotations

import pytest

from studio.domain.contact_link import (
    MAX_LINK_LENGTH,
    clean_job_title,
    host_allowed,
    normalise_link,
    valid_host,
    with_channel,
)
from studio.errors import ValidationError

HOSTS = ("work.weixin.qq.com",)
GOOD = "https://work.weixin.qq.com/ca/cawcde5a1b2c3d4e5f"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (GOOD, GOOD),
        (f"{GOOD}?comp_scene=ENCtbbUVjE&x=a%20b", f"{GOOD}?comp_scene=ENCtbbUVjE&x=a%20b"),
        ("HTTPS://Work.WEIXIN.qq.com/ca/AbC", "https://work.weixin.qq.com/ca/AbC"),  # path keeps its case
        ("https://work.weixin.qq.com:443/ca/x", "https://work.weixin.qq.com/ca/x"),
        ("https://kf.work.weixin.qq.com/ca/x", "https://kf.work.weixin.qq.com/ca/x"),  # a subdomain
        (f"  {GOOD}\n", GOOD),  # a pasted line break around the link
    ],
)
def test_allowed_links_are_normalised(raw, stored):
    assert normalise_link(raw, HOSTS) == stored


@pytest.mark.parametrize(
    ("raw", "zh"),
    [
        ("http://work.weixin.qq.com/ca/x", "https://"),
        ("ftp://work.weixin.qq.com/ca/x", "https://"),
        ("javascript:alert(1)", "https://"),
        ("JavaScript://work.weixin.qq.com/%0Aalert(1)", "https://"),
        ("https:work.weixin.qq.com/ca/x", "https://"),
        ("//work.weixin.qq.com/ca/x", "https://"),
        ("https://weixin.qq.com/ca/x", "不在允许的范围内"),  # the parent domain is not allowed
        ("https://evil.cn/ca/x", "不在允许的范围内"),
        ("https://work.weixin.qq.com.evil.cn/ca/x", "不在允许的范围内"),  # look-alike suffix
        ("https://workweixin.qq.com/ca/x", "不在允许的范围内"),
        ("https://evilwork.weixin.qq.com/ca/x", "不在允许的范围内"),  # not a subdomain, a longer label
        ("https://work.weixin.qq.com./ca/x", "不在允许的范围内"),  # trailing dot
        ("https://xn--wrk-qdd.weixin.qq.com/ca/x", "不在允许的范围内"),  # punycode label
        ("https://xn--80ak6aa92e.work.weixin.qq.com/x", "不在允许的范围内"),  # punycode, even as a subdomain
        ("https://%77ork.weixin.qq.com/ca/x", "不在允许的范围内"),  # percent-escaped host
        ("https://119.147.1.1/ca/x", "不在允许的范围内"),
        ("https://[::1]/ca/x", "不在允许的范围内"),
        ("https://work.weixin.qq.com@evil.cn/ca/x", "@"),  # userinfo trick: the host is evil.cn
        ("https://user:pw@work.weixin.qq.com/ca/x", "@"),
        ("https://evil.cn\\@work.weixin.qq.com/", "\\"),  # browsers read the backslash as a slash
        ("https://work.weixin.qq.com:8443/ca/x", "端口"),
        ("https://work.weixin.qq.com:/ca/x", "端口"),
        ("https://work.weixin.qq.com:0443x/ca/x", "端口"),
        ("https://wоrk.weixin.qq.com/ca/x", "非英文字符"),  # Cyrillic о
        ("https://work.weixin.qq.com/ca/微信", "非英文字符"),
        ("https://work。weixin。qq。com/ca/x", "非英文字符"),  # ideographic full stops
        ("https://ｗork.weixin.qq.com/ca/x", "非英文字符"),  # full-width w
        ("https://work.weixin.qq.com/ca/x\nhttps://evil.cn", "空格"),
        ("https://work.weixin.qq.com/ca/x y", "空格"),
        ("https://work.weixin.qq.com/ca/x\ty", "空格"),
        ("https://work.weixin.qq.com\u200b/ca/x", "不可见"),  # zero-width space
        ("https://work.weixin.qq.com/ca/\u202ex", "不可见"),  # right-to-left override
        ("https://work.weixin.qq.com/ca/\x00x", "不可见"),
        ("https://work.weixin.qq.com/ca/x#frag", "#"),
        ('https://work.weixin.qq.com/ca/"><script>', "不允许的字符"),
        ("https://work.weixin.qq.com/ca/{x}", "不允许的字符"),
        ("", "为空"),
        ("   ", "为空"),
        ("https://work.weixin.qq.com/ca/" + "a" * (MAX_LINK_LENGTH - 29), "500"),
    ],
)
def test_hostile_links_are_refused_with_a_reason(raw, zh):
    with pytest.raises(ValidationError) as refused:
        normalise_link(raw, HOSTS)
    assert zh in refused.value.message_zh
    assert refused.value.message_zh.startswith("联系链接未接受")
    assert str(refused.value).startswith("contact link refused: ")


def test_the_length_limit_is_exact():
    prefix = "https://work.weixin.qq.com/ca/"
    longest = prefix + "a" * (MAX_LINK_LENGTH - len(prefix))
    assert len(longest) == MAX_LINK_LENGTH
    assert normalise_link(longest, HOSTS) == longest
    with pytest.raises(ValidationError):
        normalise_link(longest + "a", HOSTS)


def test_the_allow_list_is_whatever_is_configured():
    assert (
        normalise_link("https://qr.bank.example/c/1", ("qr.bank.example",)) == "https://qr.bank.example/c/1"
    )
    with pytest.raises(ValidationError, match="not one of the allowed hosts"):
        normalise_link(GOOD, ("qr.bank.example",))
    with pytest.raises(ValidationError, match="none configured"):
        normalise_link(GOOD, ())


def test_host_rules():
    assert host_allowed("a.b.work.weixin.qq.com", HOSTS)
    assert not host_allowed("work.weixin.qq.com.cn", HOSTS)
    assert not host_allowed("xwork.weixin.qq.com", HOSTS)
    assert (
        not valid_host("localhost") and not valid_host("-a.example.com") and not valid_host("a..example.com")
    )
    assert not valid_host("xn--80ak6aa92e.com") and valid_host("work.weixin.qq.com")


def test_a_tracked_link_keeps_the_query_and_adds_the_channel():
    link = f"{GOOD}?comp_scene=ENC%2Fab&empty=&x=a+b"
    assert (
        with_channel(link, "customer_channel", "p_abc123")
        == f"{GOOD}?comp_scene=ENC%2Fab&empty=&x=a+b&customer_channel=p_abc123"
    )
    assert with_channel(GOOD, "customer_channel", "p_1") == f"{GOOD}?customer_channel=p_1"
    # a channel already there (the staff member's own) is replaced: WeCom reports one per contact
    assert (
        with_channel(f"{GOOD}?customer_channel=me&a=1", "customer_channel", "p_2")
        == f"{GOOD}?a=1&customer_channel=p_2"
    )
    assert (
        with_channel(f"{GOOD}?customer%5Fchannel=me", "customer_channel", "p_2")
        == f"{GOOD}?customer_channel=p_2"
    )
    with pytest.raises(ValueError):
        with_channel(GOOD, "customer_channel", "p_" + "x" * 63)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("客户经理", "客户经理"), ("  理财经理 ", "理财经理"), ("", None), (None, None), ("   ", None)],
)
def test_job_titles_are_trimmed_and_empty_means_none(raw, stored):
    assert clean_job_title(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "一二三四五六七八九十一二三",
        "客户\n经理",
        "客户\u200b经理",
        "<b>经理</b>",
        "**经理**",
        "{{ 经理 }}",
        "经\t理",
    ],
)
def test_job_titles_are_one_short_line_of_plain_text(raw):
    with pytest.raises(ValidationError) as refused:
        clean_job_title(raw)
    assert "职务" in refused.value.message_zh


def test_twelve_characters_is_the_limit():
    assert clean_job_title("一二三四五六七八九十一二") == "一二三四五六七八九十一二"
