"""Services hand pages typed view models, never dicts of pre-formatted strings (issue 15).

Every public function of every `studio.services` module is inspected: a return annotation that is a
dict, or a list/tuple/set of dicts, fails unless the function is one of the few listed below, which
return stored data or lookup tables that no page shows as such.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import studio.services
from studio.domain.views import PickRow

# (module, function): why a dict is the right value there.
ALLOWED = {
    ("studio.services.rules", "findings_json"): "findings as stored in the JSON column",
    ("studio.services.occasion_calendar", "hot_topic_ends"): "a lookup table for expiry dates, not a view",
    ("studio.services.seed_scale", "fragments"): "the seed's YAML data file",
    ("studio.services.variants", "render_variant"): "validated slot values as stored on the variant",
}


def _dicty(tp: Any) -> bool:
    """True for dict-like types and for containers or unions holding one."""
    if tp is dict or (isinstance(tp, type) and issubclass(tp, Mapping)):
        return True
    origin = typing.get_origin(tp)
    if origin is None:
        return False
    if origin is dict or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return True
    return any(_dicty(arg) for arg in typing.get_args(tp) if arg is not Ellipsis)


def _public_functions() -> Iterator[tuple[str, str, Callable[..., Any]]]:
    for info in pkgutil.iter_modules(studio.services.__path__, "studio.services."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            function = inspect.unwrap(obj) if callable(obj) else obj  # through lru_cache and the like
            if not name.startswith("_") and inspect.isfunction(function) and function.__module__ == info.name:
                yield info.name, name, function


def test_no_service_returns_dicts_to_pages():
    offenders, checked = [], 0
    for module, name, function in _public_functions():
        hints = typing.get_type_hints(function)
        assert "return" in hints, f"{module}.{name} has no return annotation"
        checked += 1
        if _dicty(hints["return"]) and (module, name) not in ALLOWED:
            offenders.append(f"{module}.{name} -> {hints['return']}")
    assert checked > 50  # the walk found the services
    assert offenders == [], "return a frozen view model instead:\n" + "\n".join(offenders)


def test_the_allowed_list_names_functions_that_exist_and_return_dicts():
    found = {(module, name): function for module, name, function in _public_functions()}
    for key in ALLOWED:
        assert key in found, f"{key} is gone: drop it from ALLOWED"
        assert _dicty(typing.get_type_hints(found[key])["return"]), f"{key} no longer returns a dict"


def test_the_check_catches_dicts_however_wrapped():
    def thread() -> list[dict[str, str]]: ...
    def form() -> dict[str, Any]: ...
    def maybe() -> tuple[int, Mapping[str, int]] | None: ...
    def rows() -> list[PickRow]: ...
    def pair() -> tuple[int, list[str]]: ...

    assert [_dicty(typing.get_type_hints(f)["return"]) for f in (thread, form, maybe, rows, pair)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert isinstance(int | None, types.UnionType) and not _dicty(int | None)
