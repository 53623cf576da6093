"""Sandboxed Jinja2 rendering: HQ writes templates, branches only supply data."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from studio.errors import ValidationError

MAX_OUTPUT = 20_000
# Loops are for short lists; nested ones stay bounded at MAX_RANGE squared iterations.
MAX_RANGE = 200


def _bounded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ValidationError(f"range() longer than {MAX_RANGE}", f"模板循环次数超过 {MAX_RANGE}，已拒绝。")
    return result


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals["range"] = _bounded_range
    return env


def parse(body: str) -> nodes.Template:
    try:
        return environment().parse(body)
    except TemplateSyntaxError as error:
        raise ValidationError(
            f"template syntax error on line {error.lineno}: {error.message}",
            f"模板第 {error.lineno} 行语法错误：{error.message}",
        ) from None


def variables_of(body: str) -> set[str]:
    return set(meta.find_undeclared_variables(parse(body)))


def render(body: str, values: dict[str, str]) -> str:
    env = environment()
    template = env.from_string(parse(body))
    try:
        text = _render_bounded(template, values)
    except ValidationError:
        raise
    except UndefinedError as error:
        raise ValidationError(f"template uses an unknown value: {error.message}",
                              f"模板引用了未填写的内容：{error.message}") from None
    except SecurityError as error:
        raise ValidationError(f"template tried an unsafe operation: {error}",
                              "模板包含不安全的操作，已拒绝渲染。") from None
    except (OverflowError, MemoryError, RecursionError):
        raise ValidationError("template output too large", "模板渲染结果过大，已拒绝。") from None
    except Exception as error:  # a template error of any other kind is the editor's input, not a crash
        raise ValidationError(f"template failed to render: {error}", f"模板渲染失败：{error}") from None
    return text.strip()


def _render_bounded(template, values: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    """Stream the output and stop as soon as it is too large, instead of building it whole."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(**values):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise ValidationError("template output too large", f"模板渲染结果超过 {MAX_OUTPUT} 字，已拒绝。")
        parts.append(chunk)
    return "".join(parts)
