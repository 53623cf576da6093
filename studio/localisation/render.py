"""Sandboxed Jinja2 rendering: HQ writes templates, branches only supply data.

An HQ body is code run on the server, so besides Jinja's sandbox (no attribute escapes) it gets a budget:
a size cap on the body, a nesting limit checked before the recursive parser runs and again on the tree
before the recursive compiler does, and while rendering a shared step budget and wall-clock deadline that
every loop iteration, call, operator and filter draws on. Values are size-checked *before* an operation
would build them (``'a' * 10**9`` is refused, not computed), and nothing is evaluated at compile time:
intercepted operators are never constant-folded, and filters refuse to run outside a render budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any

from jinja2 import (
    StrictUndefined,
    TemplateSyntaxError,
    UndefinedError,
    meta,
    nodes,
    pass_context,
    pass_eval_context,
)
from jinja2.exceptions import SecurityError
from jinja2.lexer import (
    TOKEN_ADD,
    TOKEN_ASSIGN,
    TOKEN_BLOCK_BEGIN,
    TOKEN_BLOCK_END,
    TOKEN_FLOAT,
    TOKEN_INTEGER,
    TOKEN_LBRACE,
    TOKEN_LBRACKET,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_RBRACE,
    TOKEN_RBRACKET,
    TOKEN_RPAREN,
    TOKEN_STRING,
    TOKEN_SUB,
    TOKEN_VARIABLE_BEGIN,
)
from jinja2.runtime import LoopContext, Macro, Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

from studio.errors import ValidationError

MAX_BODY = 20_000  # characters of template source
MAX_OUTPUT = 20_000  # characters of rendered text, and of any buffered block (macro, set, filter)
MAX_EMITTED = 200_000  # characters all `{{ }}` in one render may print, kept or buffered and dropped
MAX_VALUE = 20_000  # "weight" of any value a template builds: characters plus items, nested
MAX_INT_BITS = 256  # marketing copy needs rates and dates, not 10**100
MAX_ARG = 10_000  # largest integer a filter or method may be given (widths, precisions, counts)
# Loops are for short lists; the step budget bounds nested ones in total.
MAX_RANGE = 200
MAX_STEPS = 100_000  # loop iterations + calls + operators + filters in one render
MAX_SECONDS = 2.0  # wall clock for one render, checked at every step
MAX_NESTING = 20  # brackets, blocks and prefix operators in the source (the parser recurses on each)
MAX_DEPTH = 60  # depth of the parsed tree (the compiler and Python's compiler recurse on it)
MAX_CALL_DEPTH = 10  # macro calls inside macro calls

_OPENING_TAGS = frozenset({"for", "if", "macro", "call", "filter", "with", "block", "autoescape", "trans"})
_PREFIX_WORDS = frozenset({"not", "if", "else"})  # each nests one more recursive parser call
_PREFIX_OPS = frozenset({TOKEN_ADD, TOKEN_SUB})
_OPERANDS = frozenset(
    {TOKEN_NAME, TOKEN_INTEGER, TOKEN_FLOAT, TOKEN_STRING, TOKEN_RPAREN, TOKEN_RBRACKET, TOKEN_RBRACE}
)
_SAFE_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "dictsort",
        "e",
        "escape",
        "first",
        "float",
        "forceescape",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "reverse",
        "round",
        "safe",
        "select",
        "selectattr",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
# Methods whose result is no larger than their receiver; padding, joining, formatting and replacing are not.
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {
            "capitalize",
            "casefold",
            "count",
            "endswith",
            "find",
            "index",
            "isalnum",
            "isalpha",
            "isdigit",
            "islower",
            "isnumeric",
            "isspace",
            "istitle",
            "isupper",
            "lower",
            "lstrip",
            "partition",
            "rfind",
            "rindex",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "splitlines",
            "startswith",
            "strip",
            "swapcase",
            "title",
            "upper",
        }
    ),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    LoopContext: frozenset({"cycle", "changed"}),
}


def _too_complex(detail_en: str, detail_zh: str) -> ValidationError:
    return ValidationError(
        f"template is too complex or computes too much: {detail_en}",
        f"模板过于复杂或计算量过大（{detail_zh}），已拒绝。",
    )


class _Budget:
    """What one render may still spend; shared by every hook through a context variable."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.steps = 0
        self.call_depth = 0
        self.emitted = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _too_complex(f"more than {MAX_STEPS} steps", f"运算或循环超过 {MAX_STEPS} 步")
        if time.monotonic() > self.deadline:
            raise _too_complex(f"rendering took longer than {MAX_SECONDS:g}s", f"渲染超过 {MAX_SECONDS:g} 秒")


_BUDGET: ContextVar[_Budget | None] = ContextVar("studio_render_budget", default=None)


class _NotRendering(RuntimeError):
    """Raised by hooks called outside a render: Jinja then gives up constant-folding the expression."""


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:
        raise _NotRendering("template code runs only inside a budgeted render")
    return budget


@contextmanager
def _budgeted() -> Iterator[_Budget]:
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


# --- value sizes ---------------------------------------------------------------------------------------------


def _weight(value: Any, limit: int = MAX_VALUE) -> int:
    """Characters plus items, nested; stops counting once past `limit` (the answer is then just "too big")."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, range):
        return len(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        total = len(value)
        for item in value:
            if total > limit:
                break
            total += _weight(item, limit - total)
        return total
    return 1


def _check_int(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise _too_complex(f"a number larger than {MAX_INT_BITS} bits", "数值过大")


def _check_value(value: Any) -> Any:
    _check_int(value)
    if _weight(value) > MAX_VALUE:
        raise _too_complex(f"a value larger than {MAX_VALUE} characters", f"中间结果超过 {MAX_VALUE} 字")
    return value


def _check_args(args: Iterable[Any]) -> None:
    """Inputs are bounded before a filter or method runs, so its cost and result stay bounded too."""
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_ARG:
            raise _too_complex(f"argument {arg} is larger than {MAX_ARG}", f"参数超过 {MAX_ARG}")
        _check_value(arg)


# --- operators -----------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too large, from the operands alone."""
    if operator == "%" and isinstance(left, str):
        # printf-style widths ('%0999999999d') build any size from a short literal.
        raise _too_complex("string % formatting is not allowed", "不支持字符串 % 格式化")
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if left.bit_length() * right > MAX_INT_BITS:
            raise _too_complex(f"a number larger than {MAX_INT_BITS} bits", "数值过大")
    if operator == "*":
        _check_product(left, right)
    if operator == "+" and not (_is_number(left) and _is_number(right)):
        if _weight(left) + _weight(right) > MAX_VALUE:
            raise _too_complex(f"a value larger than {MAX_VALUE} characters", f"中间结果超过 {MAX_VALUE} 字")


def _check_product(left: Any, right: Any) -> None:
    """`a * b`: a product of integers stays within the bit budget, a repeated sequence within the size one."""
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise _too_complex(f"a number larger than {MAX_INT_BITS} bits", "数值过大")
        return
    times, sequence = (left, right) if isinstance(left, int) else (right, left)
    if isinstance(times, int) and not _is_number(sequence) and times > 0:
        if _weight(sequence) * times > MAX_VALUE:
            raise _too_complex(f"a value larger than {MAX_VALUE} characters", f"中间结果超过 {MAX_VALUE} 字")


# --- hooks the compiled template calls -----------------------------------------------------------------------


def _guard_filter(func: Any) -> Any:
    """Wrap a filter: budgeted, bounded inputs and result, and never run at compile time."""

    @wraps(func)  # keeps Jinja's pass_context / pass_eval_context marker
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        _check_args(args)  # a context or environment argument weighs 1
        _check_args(kwargs.values())
        return _check_value(func(*args, **kwargs))

    return guarded


def _bounded_join(join: Any) -> Any:
    """`join` is the one offered filter whose result multiplies its inputs: items x separator."""

    @wraps(join)
    def bounded(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
        items = list(value)
        if len(items) * len(str(d)) + _weight(items) > MAX_VALUE:
            raise _too_complex(f"a value larger than {MAX_VALUE} characters", f"中间结果超过 {MAX_VALUE} 字")
        return join(eval_ctx, items, d, attribute)

    return bounded


def _loop_budget(iterable: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: one step per item, so nested loops share one budget."""
    return _ticking(iterable, _budget())  # not a generator itself: outside a render it raises at once


def _ticking(iterable: Any, budget: _Budget) -> Iterator[Any]:
    for item in iterable:
        budget.tick()
        yield item


@pass_eval_context
def _concat(eval_ctx: Any, parts: list[Any]) -> str:
    """The `~` operator, size-checked before the strings are joined."""
    budget = _budget()
    budget.tick()
    texts = [str(_check_value(part)) for part in parts]
    if sum(len(t) for t in texts) > MAX_VALUE:
        raise _too_complex(f"a value larger than {MAX_VALUE} characters", f"中间结果超过 {MAX_VALUE} 字")
    return (markup_join if eval_ctx.autoescape else str_join)(texts)


@pass_context
def _finalize(_context: Any, value: Any) -> Any:
    """Every `{{ }}` value passes here before it is turned into text, also inside macros and set blocks,
    whose buffers Jinja only joins at their end: counting here bounds them while they grow."""
    budget = _budget()
    budget.tick()
    budget.emitted += _weight(_check_value(value))
    if budget.emitted > MAX_EMITTED:
        raise _too_complex(f"more than {MAX_EMITTED} characters printed", f"输出累计超过 {MAX_EMITTED} 字")
    return value


def _bounded_concat(parts: Iterable[str]) -> str:
    """Joins macro, set-block and filter-block output: bounded like the render output itself."""
    buffered = list(parts)
    if sum(len(p) for p in buffered) > MAX_OUTPUT:
        raise _too_complex(f"a block longer than {MAX_OUTPUT} characters", f"区块内容超过 {MAX_OUTPUT} 字")
    return "".join(buffered)


def _bounded_range(*args: int) -> range:
    for arg in args:
        _check_int(arg)
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ValidationError(f"range() longer than {MAX_RANGE}", f"模板循环次数超过 {MAX_RANGE}，已拒绝。")
    return result


def _callable_allowed(obj: Any) -> bool:
    if isinstance(obj, (Macro, Undefined)) or any(
        obj is allowed for allowed in (_bounded_range, Namespace, dict)
    ):
        return True
    receiver, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    return any(isinstance(receiver, kind) and name in names for kind, names in _SAFE_METHODS.items())


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})
    concat = staticmethod(_bounded_concat)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        _check_binop(operator, left, right)
        return _check_value(super().call_binop(context, operator, left, right))

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        _budget().tick()
        return super().call_unop(context, operator, arg)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = _budget()
        budget.tick()
        if not _callable_allowed(__obj):
            raise SecurityError(f"{getattr(__obj, '__name__', type(__obj).__name__)} is not callable here")
        if __obj is not _bounded_range:
            _check_args(args)
            _check_args(kwargs.values())
        if budget.call_depth >= MAX_CALL_DEPTH:
            raise _too_complex(
                f"macros nested deeper than {MAX_CALL_DEPTH}", f"宏调用嵌套超过 {MAX_CALL_DEPTH} 层"
            )
        budget.call_depth += 1
        try:
            return _check_value(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.call_depth -= 1

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every parse (and so every compile) checks size and nesting, and wires the budget hooks in."""
        if len(source) > MAX_BODY:
            raise _too_complex(f"body longer than {MAX_BODY} characters", f"正文超过 {MAX_BODY} 字")
        _check_source_nesting(self, source)
        tree = super()._parse(source, name, filename)
        _check_tree(tree)
        return _WireHooks(self).visit(tree)


def _nesting_error() -> ValidationError:
    return ValidationError(
        f"template is nested too deeply (more than {MAX_NESTING} levels)",
        f"模板过于复杂或计算量过大（嵌套超过 {MAX_NESTING} 层），已拒绝。",
    )


def _check_source_nesting(env: _BoundedEnvironment, source: str) -> None:
    """Count, from tokens alone, what makes Jinja's parser recurse: brackets, open blocks, prefix chains."""
    depth = _NestingCount()
    for token in env.lexer.tokenize(source):  # the lexer is a loop, not recursive
        if depth.feed(token.type, token.value) > MAX_NESTING:
            raise _nesting_error()


class _NestingCount:
    """Running count of open brackets, open blocks and the current chain of prefix operators."""

    def __init__(self) -> None:
        self.brackets = self.blocks = self.prefixes = 0
        self.previous: str | None = None
        self.inline_set_possible = False

    def feed(self, kind: str, value: Any) -> int:
        """Account for one token; the nesting depth after it."""
        if kind in (TOKEN_LPAREN, TOKEN_LBRACKET, TOKEN_LBRACE):
            self.brackets += 1
        elif kind in (TOKEN_RPAREN, TOKEN_RBRACKET, TOKEN_RBRACE):
            self.brackets -= 1
        elif self.previous == TOKEN_BLOCK_BEGIN and kind == TOKEN_NAME:
            self._tag(value)
        elif kind == TOKEN_ASSIGN and self.inline_set_possible:
            self.blocks -= 1  # `{% set x = ... %}` has no body and no endset
            self.inline_set_possible = False
        elif (kind == TOKEN_NAME and value in _PREFIX_WORDS) or (
            kind in _PREFIX_OPS and self.previous not in _OPERANDS
        ):
            self.prefixes += 1
        if kind in (TOKEN_VARIABLE_BEGIN, TOKEN_BLOCK_BEGIN, TOKEN_BLOCK_END):
            self.prefixes = 0
            self.inline_set_possible = self.inline_set_possible and kind != TOKEN_BLOCK_END
        self.previous = kind
        return self.brackets + self.blocks + self.prefixes

    def _tag(self, name: str) -> None:
        if name in _OPENING_TAGS or name == "set":
            self.blocks += 1
            self.inline_set_possible = name == "set"
        elif name.startswith("end"):
            self.blocks -= 1


def _check_tree(tree: nodes.Template) -> None:
    """Depth of the parsed tree, walked with an explicit stack; and no recursive loops."""
    stack: list[tuple[nodes.Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _nesting_error()
        if isinstance(node, nodes.For) and node.recursive:
            raise _too_complex("recursive loops are not allowed", "不支持递归循环")
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


class _WireHooks(NodeTransformer):
    """Route every loop and every `~` through budgeted filters (the tree's depth is already bounded)."""

    def __init__(self, env: _BoundedEnvironment) -> None:
        self.env = env

    def _filter(self, node: nodes.Expr, name: str) -> nodes.Filter:
        wrapped = nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)
        wrapped.set_environment(self.env)
        return wrapped

    # generic_visit transforms the children in place and returns the same node.
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        assert isinstance(node.iter, nodes.Expr)  # the parser only puts an expression there
        node.iter = self._filter(node.iter, "_studio_loop_budget")
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._filter(nodes.List(node.nodes, lineno=node.lineno), "_studio_concat")


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = _BoundedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, finalize=_finalize
    )
    offered = {name: f for name, f in env.filters.items() if name in _SAFE_FILTERS}
    offered["join"] = _bounded_join(offered["join"])
    env.filters = {name: _guard_filter(f) for name, f in offered.items()}
    env.filters["_studio_loop_budget"] = _loop_budget
    env.filters["_studio_concat"] = _concat
    # lipsum, cycler and joiner are not for marketing copy; lipsum(n) alone can run for minutes.
    env.globals = {"range": _bounded_range, "namespace": Namespace, "dict": dict}
    return env


def _syntax_error(error: TemplateSyntaxError) -> ValidationError:
    message = error.message or ""
    if message.startswith("No filter named"):
        name = message.removeprefix("No filter named").strip(" .")
        return ValidationError(
            f"template uses a filter that is not offered on line {error.lineno}: {name}",
            f"模板第 {error.lineno} 行使用了不支持的过滤器 {name}。",
        )
    return ValidationError(
        f"template syntax error on line {error.lineno}: {message}",
        f"模板第 {error.lineno} 行语法错误：{message}",
    )


def parse(body: str) -> nodes.Template:
    try:
        return environment().parse(body)
    except TemplateSyntaxError as error:
        raise _syntax_error(error) from None
    except RecursionError:  # a last resort: the nesting check should refuse such bodies first
        raise _nesting_error() from None
    except ValueError as error:  # e.g. an integer literal longer than Python converts
        raise ValidationError(
            f"template cannot be read: {error}", "模板无法解析（含过长的数字等），已拒绝。"
        ) from None


def variables_of(body: str) -> set[str]:
    tree = parse(body)
    try:
        return set(meta.find_undeclared_variables(tree))
    except TemplateSyntaxError as error:  # e.g. a filter that is not offered
        raise _syntax_error(error) from None


def render(body: str, values: dict[str, str]) -> str:
    env = environment()
    tree = parse(body)
    try:
        template = env.from_string(tree)
        with _budgeted():
            text = _render_bounded(template, values)
    except ValidationError:
        raise
    except TemplateSyntaxError as error:
        raise _syntax_error(error) from None
    except UndefinedError as error:
        raise ValidationError(
            f"template uses an unknown value: {error.message}", f"模板引用了未填写的内容：{error.message}"
        ) from None
    except SecurityError as error:
        raise ValidationError(
            f"template tried an unsafe operation: {error}", "模板包含不安全的操作，已拒绝渲染。"
        ) from None
    except (OverflowError, MemoryError, RecursionError):
        raise ValidationError("template output too large", "模板渲染结果过大，已拒绝。") from None
    except Exception as error:  # a template error of any other kind is the editor's input, not a crash
        raise ValidationError(f"template failed to render: {error}", f"模板渲染失败：{error}") from None
    return text.strip()


def _render_bounded(template, values: dict[str, str]) -> str:
    """Stream the output and stop as soon as it is too large, instead of building it whole."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(**values):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise ValidationError("template output too large", f"模板渲染结果超过 {MAX_OUTPUT} 字，已拒绝。")
        parts.append(chunk)
    return "".join(parts)
