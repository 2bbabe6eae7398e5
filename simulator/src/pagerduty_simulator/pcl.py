"""A subset of PagerDuty Condition Language (PCL) for routing simulated events.

Supported: `and`, `or`, `not`, parentheses; `<path> exists`; `<path> matches [part] [exactly]
'<text>'`; `<path> matches regex [exactly] '<re>'`; `==`, `!=`, `<`, `<=`, `>`, `>=` against a
string or number; `<path> in ['a', 'b']`. Paths start with `event.` (the normalized event) or
`raw_event.` (the body as sent) and may use `['name']` and `[0]`. Matching ignores case unless
`exactly` is given. Anything else (`now in ...`, `trigger_count ...`) does not parse and the
condition never matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:\\.|[^'\\])*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|\.|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class PclError(ValueError):
    """An expression outside the supported subset."""


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: Any


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise PclError(f"unexpected character at {pos}")
        pos = match.end()
        if match.group("string") is not None:
            raw = match.group("string")[1:-1]
            out.append(_Tok("string", re.sub(r"\\(.)", r"\1", raw)))
        elif match.group("number") is not None:
            out.append(_Tok("number", float(match.group("number"))))
        elif match.group("op") is not None:
            out.append(_Tok("op", match.group("op")))
        else:
            out.append(_Tok("word", match.group("word")))
    return out


class _Parser:
    def __init__(self, text: str, event: Mapping[str, Any], raw: Mapping[str, Any]) -> None:
        self.toks = _tokens(text)
        self.pos = 0
        self.roots = {"event": event, "raw_event": raw}

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise PclError("unexpected end of expression")
        self.pos += 1
        return tok

    def accept(self, kind: str, value: Any) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == kind and tok.value == value:
            self.pos += 1
            return True
        return False

    def parse(self) -> bool:
        result = self.or_expr()
        if self.peek() is not None:
            raise PclError("trailing input")
        return result

    def or_expr(self) -> bool:
        result = self.and_expr()
        while self.accept("word", "or"):
            right = self.and_expr()
            result = result or right
        return result

    def and_expr(self) -> bool:
        result = self.not_expr()
        while self.accept("word", "and"):
            right = self.not_expr()
            result = result and right
        return result

    def not_expr(self) -> bool:
        if self.accept("word", "not"):
            return not self.not_expr()
        if self.accept("op", "("):
            result = self.or_expr()
            if not self.accept("op", ")"):
                raise PclError("missing )")
            return result
        return self.comparison()

    def path(self) -> tuple[bool, Any]:
        root = self.take()
        if root.kind != "word" or root.value not in self.roots:
            raise PclError("a path must start with event or raw_event")
        value: Any = self.roots[root.value]
        found = True
        while True:
            if self.accept("op", "."):
                key = self.take()
                if key.kind != "word":
                    raise PclError("expected a field name")
                found, value = _step(found, value, key.value)
            elif self.accept("op", "["):
                key = self.take()
                if key.kind not in {"string", "number"} or not self.accept("op", "]"):
                    raise PclError("bad [] access")
                index = int(key.value) if key.kind == "number" else key.value
                found, value = _step(found, value, index)
            else:
                return found, value

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind in {"string", "number"}:
            return tok.value
        if tok.kind == "word" and tok.value in {"true", "false"}:
            return tok.value == "true"
        raise PclError("expected a literal")

    def comparison(self) -> bool:
        found, value = self.path()
        tok = self.take()
        if tok.kind == "word" and tok.value == "exists":
            return found and value is not None
        if tok.kind == "word" and tok.value == "matches":
            mode = "equal"
            if self.accept("word", "part"):
                mode = "part"
            elif self.accept("word", "regex"):
                mode = "regex"
            exact = self.accept("word", "exactly")
            pattern = self.take()
            if pattern.kind != "string":
                raise PclError("matches needs a string")
            if not found or value is None:
                return False
            return _matches(_text(value), pattern.value, mode, exact)
        if tok.kind == "word" and tok.value == "in":
            if not self.accept("op", "["):
                raise PclError("in needs a list")
            options = [self.literal()]
            while self.accept("op", ","):
                options.append(self.literal())
            if not self.accept("op", "]"):
                raise PclError("missing ]")
            return found and any(_equal(value, option) for option in options)
        if tok.kind == "op" and tok.value in {"==", "!=", "<", "<=", ">", ">="}:
            expected = self.literal()
            if not found:
                return bool(tok.value == "!=")
            return _compare(value, str(tok.value), expected)
        raise PclError(f"unsupported operator {tok.value!r}")


def _step(found: bool, value: Any, key: Any) -> tuple[bool, Any]:
    if not found:
        return False, None
    if isinstance(value, Mapping) and key in value:
        return True, value[key]
    if isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
        return True, value[key]
    return False, None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _matches(value: str, pattern: str, mode: str, exact: bool) -> bool:
    if mode == "regex":
        flags = 0 if exact else re.IGNORECASE
        try:
            return re.search(pattern, value, flags) is not None
        except re.error:
            return False
    if not exact:
        value, pattern = value.lower(), pattern.lower()
    return pattern in value if mode == "part" else value == pattern


def _equal(value: Any, expected: Any) -> bool:
    if (
        isinstance(expected, float)
        and not isinstance(value, bool)
        and isinstance(value, int | float)
    ):
        return float(value) == expected
    return _text(value) == _text(expected) if isinstance(expected, str) else bool(value == expected)


def _compare(value: Any, op: str, expected: Any) -> bool:
    if op == "==":
        return _equal(value, expected)
    if op == "!=":
        return not _equal(value, expected)
    try:
        left, right = float(value), float(expected)
    except (TypeError, ValueError):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def evaluate(expression: str, event: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
    """Whether `expression` holds for an event; unsupported expressions raise PclError."""
    return _Parser(expression, event, raw).parse()


def matches_any(
    conditions: list[dict[str, Any]], event: Mapping[str, Any], raw: Mapping[str, Any]
) -> bool:
    """A rule matches if it has no conditions or any condition holds (unsupported ones do not)."""
    if not conditions:
        return True
    for condition in conditions:
        try:
            if evaluate(str(condition.get("expression", "")), event, raw):
                return True
        except PclError:
            continue
    return False
