"""Locust users for `benchmarks/bench_load.py` (which starts the cluster and runs them; see its docstring).

- `Reviewer` and `Localiser` do a reviewer's and a branch localiser's work through the service layer, on
  the cluster's PostgreSQL database with its audit key (STUDIO_DATABASE_URL, STUDIO_DATA_DIR): list a
  queue page, open an item, decide it; open a localisation form, localise and submit; browse the library.
  Each call is one locust request of type "service". Refusals the studio gives by design (someone else
  decided first: Conflict; a rule such as dual approval) are counted under their own name, not as
  failures; anything else raised is a failure. Every decision the service acknowledged is appended to
  LOAD_ACKS (one JSON line) so the bench can check afterwards that each one is in the database.
- `AppVisitor` uses the app's HTTP endpoints through nginx: health, the app page and its static assets.
- `FeedReader` reads branch feed pages and JSON through nginx (tokens from LOAD_FEED_TOKENS, one a line).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import FastHttpUser, User, between, constant, events, task

from studio.db.engine import session_scope
from studio.db.models import User as StudioUser
from studio.domain.enums import Decision, Verdict
from studio.domain.views import Actor
from studio.errors import Conflict, StudioError
from studio.services import reviews, templates, variants
from studio.services.auth import actor_for

_ACKS = Path(os.environ.get("LOAD_ACKS", "load-acks.jsonl"))
_QUEUE_PAGES = 40  # reviewers spread over the first pages of the queue, as a team would
_BROWSE_WORDS = ("理财", "防诈骗", "冬至", "存款", "信用卡", "")


def _actor(username: str) -> Actor:
    from sqlmodel import select

    with session_scope() as session:
        return actor_for(
            session, session.exec(select(StudioUser).where(StudioUser.username == username)).one()
        )


def _localiser_names() -> list[str]:
    from sqlmodel import col, select

    with session_scope() as session:
        query = select(StudioUser.username).where(col(StudioUser.role) == "branch_localiser").limit(500)
        return list(session.exec(query))


class ServiceUser(User):
    """A person working through the service layer; `call` times one service call as a locust request."""

    abstract = True
    wait_time = between(0.5, 2.0)

    def call(self, name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result, failure = None, None
        try:
            result = work()
        except Conflict:
            name += " (conflict)"
        except StudioError as error:
            name += f" (refused: {error.__class__.__name__})"
        except Exception as error:  # noqa: BLE001 - every other exception is a failure of the run
            failure = error
        events.request.fire(
            request_type="service",
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=failure,
            context={},
        )
        return result


class Reviewer(ServiceUser):
    weight = 5

    def on_start(self) -> None:
        self.actor = _actor(random.choice(("reviewer", "reviewer2")))
        self.page = random.randrange(_QUEUE_PAGES)

    @task
    def review_one(self) -> None:
        def queue() -> Any:
            with session_scope() as session:
                return reviews.queue_page(session, self.actor, page=self.page)

        listing = self.call("review: queue page", queue)
        if not listing or not listing.rows:
            self.page = 0
            return
        row = random.choice(listing.rows)

        def open_item() -> Any:
            with session_scope() as session:
                item = reviews.item_detail(session, self.actor, row.subject_type, row.subject_id)
                return item, reviews.current_version(session, self.actor, row.subject_type, row.subject_id)

        opened = self.call("review: open item", open_item)
        if opened is None:
            return
        item, seen = opened
        decision = Decision.APPROVE if item.verdict is Verdict.PASS else Decision.REQUEST_CHANGES
        comment = "" if decision is Decision.APPROVE else "请按命中提示修改后再提交。"

        def decide() -> str:
            with session_scope() as session:
                state = reviews.decide(
                    session, self.actor, row.subject_type, row.subject_id, decision, comment, seen=seen
                )
            ack = {"type": row.subject_type, "id": row.subject_id, "reviewer": self.actor.user_id}
            with _ACKS.open(
                "a", encoding="utf-8"
            ) as acks:  # one short line per write: O_APPEND keeps it whole
                acks.write(json.dumps({**ack, "decision": decision.value, "lock": seen.lock_version}) + "\n")
            return state

        self.call(f"review: decide {decision.value}", decide)


class Localiser(ServiceUser):
    weight = 4
    _names: list[str] = []

    def on_start(self) -> None:
        if not Localiser._names:
            Localiser._names = _localiser_names()
        self.actor = _actor(random.choice(Localiser._names))

    @task(2)
    def browse(self) -> None:
        words = random.choice(_BROWSE_WORDS)

        def page() -> Any:
            with session_scope() as session:
                filters = templates.LibraryFilter(query=words or None)
                return templates.list_library(
                    session, self.actor, filters, approved_only=True, page=random.randrange(5)
                )

        self.call("library: page", page)

    @task(1)
    def localise_and_submit(self) -> None:
        def listing() -> Any:
            with session_scope() as session:
                return templates.list_library(
                    session,
                    self.actor,
                    templates.LibraryFilter(),
                    approved_only=True,
                    page=random.randrange(20),
                )

        found = self.call("library: page", listing)
        if not found or not found.rows:
            return
        version_id = random.choice(found.rows).version_id

        def form() -> Any:
            with session_scope() as session:
                template = templates.get_template(session, self.actor, version_id)
                return template, variants.localisation_form(session, self.actor, version_id)

        opened = self.call("localise: open form", form)
        if opened is None:
            return
        template, prefilled = opened
        values = {  # what the page pre-fills; a localiser types the rest (here: the slot's sample)
            slot["name"]: prefilled.inherited.get(slot["name"])
            or slot.get("default")
            or slot.get("sample")
            or "本行"
            for slot in template.slots
        }

        def submit() -> Any:
            with session_scope() as session:
                return variants.localise(session, self.actor, version_id, values, submit=True)

        self.call("localise: save and submit", submit)


_ASSET = re.compile(r'(?:src|href)="\.?/?(static/[^"]+\.(?:js|css))"')


class AppVisitor(FastHttpUser):
    """The app's HTTP endpoints through the proxy (each visitor keeps its route cookie)."""

    weight = 1
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        page = self.client.get("/", name="app: page")
        self.assets = _ASSET.findall(page.text or "")[:3]

    @task(3)
    def health(self) -> None:
        self.client.get("/_stcore/health", name="app: health")

    @task(1)
    def page(self) -> None:
        self.client.get("/", name="app: page")
        for asset in self.assets:
            self.client.get("/" + asset, name="app: static asset")


def _tokens() -> list[str]:
    path = os.environ.get("LOAD_FEED_TOKENS", "")
    return [t.strip() for t in Path(path).read_text().splitlines() if t.strip()] if path else []


class FeedReader(FastHttpUser):
    """Staff opening their branch's page and the JSON behind it: no Streamlit, no database."""

    weight = 1
    wait_time = constant(0)
    tokens: list[str] = []

    def on_start(self) -> None:
        if not FeedReader.tokens:
            FeedReader.tokens = _tokens()

    @task(3)
    def page(self) -> None:
        self.client.get(f"/feed/{random.choice(self.tokens)}/", name="feed: page")

    @task(1)
    def json(self) -> None:
        self.client.get(f"/feed/{random.choice(self.tokens)}/feed.json", name="feed: json")
