"""Users' search patterns, compiled so that no pattern can hold the server: bounded in time and memory.

A pattern is parsed once by Python's own ``re`` parser (its syntax, its error messages), then:

- its expansion is counted: nested counted repeats such as ``(?:(?:a{1000}){1000}){1000}`` are 44
  characters that some engines unroll into 10⁹ steps *while compiling*, holding the interpreter lock;
  a pattern over :data:`EXPANSION_BUDGET` is refused with a sentence before any engine sees it;
- when every part of it has an exact RE2 equivalent, it is re-written from the parse tree into RE2's
  syntax and matched by RE2 (``google-re2``): linear time, memory capped by :data:`RE2_MAX_MEM`, so
  ``(a+)+$`` over a long label answers at once. Python's Unicode ``\\w``, ``\\d`` and ``\\s`` are written
  out as the exact code-point ranges Python uses (RE2's own are ASCII), so results equal ``re``'s;
- the rest (back-references, lookarounds, ``\\b``, possessive repeats, atomic groups) is matched by the
  ``regex`` module, whose matching stops at a time limit and releases the interpreter lock.
"""
from __future__ import annotations

import re
import sys
import warnings
from functools import lru_cache

import regex as timed_regex

try:
    from re import _constants as C
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as C
    import sre_parse

from .errors import DataError

# "[[:alpha:]]" is a set of the characters [, :, a, l, p, h in Python; its warning about that is not the user's
warnings.filterwarnings("ignore", message="Possible nested set", category=FutureWarning)

MAX_PATTERN_LENGTH = 1_000
EXPANSION_BUDGET = 100_000     # pattern items after unrolling counted repeats
RE2_MAX_MEM = 32 << 20          # bytes RE2 may use for one compiled pattern

_FLAG_LETTERS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}


class _NoRE2(Exception):
    """The pattern uses something RE2 has no exact equivalent for."""


def check(query: str, regex: bool):
    """The parsed pattern of ``query`` (None for a plain substring), or a :class:`DataError` saying
    what is wrong with it."""
    if not isinstance(query, str):
        raise DataError("the search must be text.")
    if len(query) > MAX_PATTERN_LENGTH:
        raise DataError(f"the search is {len(query):,} characters long; keep it under {MAX_PATTERN_LENGTH:,}.")
    if not regex:
        return None
    try:
        tree = sre_parse.parse(query, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError) as exc:
        raise invalid(query, exc) from None
    size = expansion(tree)
    if size > EXPANSION_BUDGET:
        raise DataError(f"the pattern {query[:60]!r} nests counted repeats that unroll to about {size:,.0f} steps "
                        f"(at most {EXPANSION_BUDGET:,}); use fewer or smaller {{n}} repeats.")
    return tree


def invalid(query: str, exc: Exception) -> DataError:
    """The sentence for a pattern an engine refused (with where, when the engine says)."""
    msg, pos = getattr(exc, "msg", None) or str(exc), getattr(exc, "pos", None)
    where = f" at position {pos}" if pos is not None else ""
    return DataError(f"{query!r} is not a valid regular expression ({msg}{where}); fix it or turn regex off.")


def expansion(items) -> float:
    """How many items ``items`` (a parsed pattern) unrolls to, counted repeats multiplied out."""
    total = 0.0
    for op, av in items:
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            lo, hi, body = av
            copies = hi if hi != C.MAXREPEAT else lo + 1
            total += max(1, copies) * expansion(body)
        elif op is C.SUBPATTERN:
            total += expansion(av[-1])
        elif op is C.BRANCH:
            total += sum(expansion(alt) for alt in av[1])
        elif op in (C.ASSERT, C.ASSERT_NOT):
            total += expansion(av[1])
        elif op is getattr(C, "ATOMIC_GROUP", None):
            total += expansion(av)
        elif op is C.GROUPREF_EXISTS:
            total += expansion(av[1]) + (expansion(av[2]) if av[2] else 0)
        else:
            total += 1
        if total > EXPANSION_BUDGET * 10:
            return total
    return total


# --- RE2 ------------------------------------------------------------------------------------------

def _ranges_of(test) -> list[tuple[int, int]]:
    out, start = [], None
    for c in range(sys.maxunicode + 1):
        if 0xD800 <= c <= 0xDFFF:   # surrogates: never in text, and RE2 refuses them in classes
            hit = False
        else:
            hit = test(chr(c))
        if hit and start is None:
            start = c
        elif not hit and start is not None:
            out.append((start, c - 1))
            start = None
    if start is not None:
        out.append((start, sys.maxunicode))
    return out


@lru_cache(maxsize=None)
def _category(name: str) -> tuple[tuple[int, int], ...]:
    """The exact code points of Python's Unicode ``\\d``, ``\\s``, ``\\w`` (and their complements)."""
    # what Python's sre tests for each (a test checks every code point against re itself)
    test = {"DIGIT": str.isdecimal, "SPACE": str.isspace,
            "WORD": lambda ch: ch.isalnum() or ch == "_"}[name.replace("NOT_", "")]
    ranges = _ranges_of(test)
    if name.startswith("NOT_"):
        ranges = _complement(ranges)
    return tuple(ranges)


def _complement(ranges):
    out, nxt = [], 0
    for a, b in ranges:
        if a > nxt:
            out.append((nxt, a - 1))
        nxt = b + 1
    if nxt <= sys.maxunicode:
        out.append((nxt, sys.maxunicode))
    return [(a, b) for a, b in out if not (a >= 0xD800 and b <= 0xDFFF)]


def _char(c: int, target: str = "re2") -> str:
    ch = chr(c)
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\x{{{c:X}}}" if target == "re2" else f"\\U{c:08X}"


def _set(ranges, target: str, negate: bool = False) -> str:
    ranges = [(a, b) for a, b in ranges if not (0xD800 <= a and b <= 0xDFFF)]
    if not ranges:
        return f"[^{_char(0, target)}-{_char(0x10FFFF, target)}]" if not negate else "(?s:.)"
    parts = "".join(_char(a, target) if a == b else f"{_char(a, target)}-{_char(b, target)}" for a, b in sorted(ranges))
    return f"[{'^' if negate else ''}{parts}]"


def _class(items, target: str = "re2") -> str:
    """A character class. Python folds case for a class's characters and ranges but never for its ``\\w \\d
    \\s`` (a category tests the character itself): their code points are written in a case-sensitive group."""
    negate, chars, cats = False, [], []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            chars.append((av, av))
        elif op is C.RANGE:
            chars.append(av)
        elif op is C.CATEGORY:
            name = str(av).replace("CATEGORY_", "")
            if name not in ("DIGIT", "NOT_DIGIT", "SPACE", "NOT_SPACE", "WORD", "NOT_WORD"):
                raise _NoRE2
            cats.extend(_category(name))
        else:
            raise _NoRE2
    if not cats:
        return _set(chars, target, negate)
    exact = f"(?-i:{_set(cats, target)})"
    if not chars:
        return f"(?-i:{_set(cats, target, negate=True)})" if negate else exact
    if not negate:
        return f"(?:{exact}|{_set(chars, target)})"
    if target == "re2":   # "none of these" over both kinds needs a lookahead, which RE2 has not
        raise _NoRE2
    return f"(?:(?!{exact}){_set(chars, target, negate=True)})"


def _flags(add: int, remove: int) -> str:
    on = "".join(v for k, v in _FLAG_LETTERS.items() if add & k)
    off = "".join(v for k, v in _FLAG_LETTERS.items() if remove & k)
    if (add | remove) & (re.ASCII | re.LOCALE):
        raise _NoRE2
    return on + (f"-{off}" if off else "")


def to_re2(items, target: str = "re2") -> str:
    """A parsed Python pattern written for RE2 (``target="re2"``; :class:`_NoRE2` where RE2 has no exact
    equivalent) or for the ``regex`` module (``"regex"``: everything, with Python's own ``\\w \\d \\s \\b``)."""
    full = target == "regex"
    out = []
    for op, av in items:
        if op is C.LITERAL:
            out.append(_char(av, target))
        elif op is C.NOT_LITERAL:
            out.append(f"[^{_char(av, target)}]")
        elif op is C.ANY:
            out.append(".")
        elif op is C.IN:
            out.append(_class(av, target))
        elif op is C.BRANCH:
            out.append("(?:" + "|".join(to_re2(alt, target) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            group, add, remove, body = av
            flags = _flags(add, remove)
            inner = to_re2(body, target)
            if full and group is not None:      # numbered as in the user's pattern, for back-references
                out.append(f"(?{flags}:({inner}))" if flags else f"({inner})")
            else:
                out.append(f"(?{flags}:{inner})" if flags else f"(?:{inner})")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) or (full and op is getattr(C, "POSSESSIVE_REPEAT", None)):
            lo, hi, body = av
            if hi == C.MAXREPEAT:
                count = {0: "*", 1: "+"}.get(lo, f"{{{lo},}}")
            elif (lo, hi) == (0, 1):
                count = "?"
            else:
                count = f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"
            mode = "?" if op is C.MIN_REPEAT else ("+" if op is not C.MAX_REPEAT else "")
            out.append(f"(?:{to_re2(body, target)}){count}{mode}")
        elif op is C.AT:
            at = {C.AT_BEGINNING: "^", C.AT_END: "$", C.AT_BEGINNING_STRING: "\\A",
                  C.AT_END_STRING: "\\z" if not full else "\\Z"}.get(av)
            if at is None and full:   # \b, \B with Python's own word characters
                w = _class([(C.CATEGORY, C.CATEGORY_WORD)], target)
                edge = f"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"
                at = edge if av is C.AT_BOUNDARY else f"(?!{edge})"
            if at is None:          # \b and \B: RE2's are ASCII-only
                raise _NoRE2
            out.append(at)
        elif full and op in (C.ASSERT, C.ASSERT_NOT):
            direction, body = av
            kind = ("=" if op is C.ASSERT else "!")
            out.append(f"(?{'<' if direction < 0 else ''}{kind}{to_re2(body, target)})")
        elif full and op is C.GROUPREF:
            out.append(f"(?:\\{av})" if av < 10 else f"(?:\\g<{av}>)")
        elif full and op is getattr(C, "ATOMIC_GROUP", None):
            out.append(f"(?>{to_re2(av, target)})")
        elif full and op is C.GROUPREF_EXISTS:
            group, yes, no = av
            out.append(f"(?({group}){to_re2(yes, target)}|{to_re2(no, target) if no else ''})")
        else:                        # back-references, lookarounds, atomic groups, possessive repeats
            raise _NoRE2
    return "".join(out)


def for_regex_module(tree, original: str) -> tuple[str, int]:
    """(pattern, extra flags) for the ``regex`` module with Python's meaning of ``\\w \\d \\s \\b`` (the
    module's own follow other Unicode rules, e.g. its ``\\s`` leaves out U+001C–U+001F); the user's text
    when it cannot be re-written."""
    flags = tree.state.flags
    try:
        if flags & (re.ASCII | re.LOCALE):
            raise _NoRE2
        extra = ((timed_regex.DOTALL if flags & re.DOTALL else 0) |
                 (timed_regex.MULTILINE if flags & re.MULTILINE else 0))
        return to_re2(tree, "regex"), extra
    except (_NoRE2, RecursionError, ValueError, TypeError):
        return original, 0


def re2_options():
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    return options


class LinearPattern:
    """A pattern that matches in linear time (RE2's, or an escaped literal's in ``re``) with the part of the
    ``regex`` module's interface the search uses."""

    def __init__(self, compiled, pattern: str):
        self._re, self.pattern = compiled, pattern

    def search(self, text, timeout=None, concurrent=None):
        return self._re.search(text)

    def finditer(self, text, timeout=None, concurrent=None):
        return self._re.finditer(text)


def compile_plain(text: str):
    """(labelwise, joined) patterns for a plain, case-insensitive substring: Python's ``re`` itself (a
    literal cannot backtrack), so a plain search finds exactly what ``re`` finds."""
    escaped = re.escape(text)
    return (LinearPattern(re.compile(escaped, re.IGNORECASE), text),
            LinearPattern(re.compile(escaped, re.IGNORECASE | re.MULTILINE), text))


def compile_re2(tree, original: str):
    """(labelwise, joined) RE2 patterns for a parsed pattern, or None when RE2 cannot take it exactly."""
    import re2

    try:
        body = to_re2(tree)
        flags = tree.state.flags
        if flags & (re.ASCII | re.LOCALE):
            raise _NoRE2
        dot = "s" if flags & re.DOTALL else ""
        label_flags = dot + ("m" if flags & re.MULTILINE else "")
        labelwise = f"(?{label_flags}:{body})" if label_flags else body
        joined = f"(?m{dot}:{body})"
        options = re2_options()
        return (LinearPattern(re2.compile(labelwise, options), original),
                LinearPattern(re2.compile(joined, options), original))
    except (_NoRE2, re2.error, RecursionError, ValueError, TypeError):
        return None
