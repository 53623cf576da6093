"""`studio user link USERNAME URL|--clear [--title TITLE]`: the operator sets a user's e-card from the shell."""

from __future__ import annotations

from sqlmodel import Session, select

from studio.cli import main
from studio.db import engine as engine_module
from studio.db.models import AuditEvent, User
from tests.accounts.test_user_cli import _studio, demo_db  # noqa: F401  (the fixture)

LINK = "https://work.weixin.qq.com/ca/cawcde5a1b2c3d4e5f"


def _card(username: str) -> tuple[str | None, str | None]:
    with Session(engine_module.default_engine()) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return user.contact_link, user.job_title


def test_link_sets_keeps_the_title_and_clears(demo_db, capsys):  # noqa: F811
    assert (
        main(
            [
                "user",
                "link",
                "staff_a",
                "HTTPS://WORK.weixin.qq.com:443/ca/cawcde5a1b2c3d4e5f",
                "--title",
                "客户经理",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.err == "contact link set for user 'staff_a'\n" and captured.out == LINK + "\n"
    assert _card("staff_a") == (LINK, "客户经理")
    assert main(["user", "link", "staff_a", LINK + "?x=1"]) == 0  # no --title: the title stays
    assert _card("staff_a") == (LINK + "?x=1", "客户经理")
    assert main(["user", "link", "staff_a", "--clear", "--title", ""]) == 0
    assert _card("staff_a") == (None, None)
    with Session(engine_module.default_engine()) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.contact_change")).all()
    assert len(events) == 3 and all(e.actor_id is None and e.details["via"] == "cli" for e in events)


def test_a_refused_link_or_title_exits_2_with_one_line(demo_db):  # noqa: F811
    for args, line in (
        (
            ["http://work.weixin.qq.com/ca/x"],
            b"error: contact link refused: only https:// links are accepted\n",
        ),
        (
            ["https://work.weixin.qq.com@evil.cn/ca/x"],
            b"error: contact link refused: a user name before the host ('user@host') is not allowed\n",
        ),
        (
            [LINK, "--title", "最佳理财经理"],
            "error: the job title fails the compliance check (ADV001: '最佳')\n".encode(),
        ),
    ):
        refused = _studio(demo_db, "user", "link", "staff_a", *args)
        assert (refused.returncode, refused.stderr, refused.stdout) == (2, line, b""), refused.stderr
    missing = _studio(demo_db, "user", "link", "nobody", LINK)
    assert missing.returncode == 2 and missing.stderr == b"error: user 'nobody' not found\n"
    assert _card("staff_a") == (None, None)
