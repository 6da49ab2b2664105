"""Search patterns: any pattern a user types is answered within bounds, and answered as Python's ``re`` would.

Patterns are generated from a grammar of the constructs users write (classes, anchors, groups,
alternation, counted and lazy repeats, Unicode text); labels are generated text. Whatever engine
answers (RE2 or the ``regex`` module), the hits must equal ``re``'s over the same labels.
"""
import re
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projector import DataError, patterns
from projector.search import compile_query, matching

pytestmark = pytest.mark.filterwarnings("ignore:Possible nested set")
ALPHABET = st.sampled_from(list("abcxyzABC019_ -.\téßΣσİı٣\u00a0\u2003\x1c"))
LABEL = st.text(ALPHABET, max_size=12)
ATOMS = ["a", "b", "x", "Σ", "ß", ".", r"\d", r"\w", r"\s", r"\W", r"\D", r"\S", "[a-c]", "[^ab]", r"[\d_]",
         r"[^\w]", r"\.", "é", "[[:a]", r"\b", r"\B", "^", "$", r"\A", r"\Z", "(?<=a)", "(?!b)"]


@st.composite
def pattern(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 5 if depth < 2 else 2))
        if kind <= 2:
            item = draw(st.sampled_from(ATOMS))
        elif kind == 3:
            item = "(?:" + draw(pattern(depth + 1)) + ")"
        elif kind == 4:
            item = "(" + draw(pattern(depth + 1)) + "|" + draw(pattern(depth + 1)) + ")"
        else:
            item = "(?i:" + draw(pattern(depth + 1)) + ")"
        if draw(st.booleans()) and item not in ("^", "$", r"\A", r"\Z", r"\b", r"\B", "(?<=a)", "(?!b)"):
            lo = draw(st.integers(0, 3))
            item += draw(st.sampled_from(["*", "+", "?", f"{{{lo}}}", f"{{{lo},{lo + 2}}}", f"{{,{lo + 1}}}",
                                          f"{{{lo},}}", "*?", "+?"]))
        parts.append(item)
    return "".join(parts)


def reference(p, labels):
    compiled = re.compile(p, re.IGNORECASE)
    return [i for i, t in enumerate(labels) if t and compiled.search(t)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern(), st.lists(LABEL, min_size=1, max_size=30))
def test_any_generated_pattern_finds_what_python_re_finds(p, labels):
    try:
        re.compile(p, re.IGNORECASE)
    except re.error:
        with pytest.raises(DataError):
            compile_query(p, regex=True)
        return
    assert matching(compile_query(p, regex=True), labels) == reference(p, labels), p


@settings(max_examples=150, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=6), st.lists(LABEL, min_size=1, max_size=30))
def test_a_plain_search_is_a_case_insensitive_substring(q, labels):
    assert matching(compile_query(q), labels) == reference(re.escape(q), labels)


@pytest.mark.parametrize("name, probe", [("WORD", r"\w"), ("DIGIT", r"\d"), ("SPACE", r"\s")])
def test_the_unicode_classes_given_to_re2_are_python_s_own(name, probe):
    compiled = re.compile(probe)
    inside = set()
    for a, b in patterns._category(name):
        inside.update(range(a, b + 1))
    wrong = [c for c in range(sys.maxunicode + 1)
             if not 0xD800 <= c <= 0xDFFF and (compiled.match(chr(c)) is not None) != (c in inside)]
    assert wrong == []


BOMBS = ["(?:(?:a{1000}){1000}){1000}", "((((a{100}){100}){100}){100})", "(?:a{65535}){65535}",
         "(?:(?:(?:(?:(?:a{20}){20}){20}){20}){20})", "(?:x{999}|y{999}){999}", "(?:a{2,}){50000}b"]


@pytest.mark.parametrize("bomb", BOMBS)
def test_nested_counted_repeats_are_refused_before_any_engine_compiles_them(bomb):
    t0 = time.perf_counter()
    with pytest.raises(DataError, match="counted repeats"):
        compile_query(bomb, regex=True)
    assert time.perf_counter() - t0 < 0.5


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "(?:", ")", "{9}", "{99}", "{999}", "+", "*", "|", "(", ")", "[a]", "\\1",
                                 "(?=a)"]), max_size=14))
def test_no_generated_pattern_compiles_for_long_or_grows_the_process(tokens):
    import resource

    p = "".join(tokens)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    try:
        q = compile_query(p, regex=True)
        matching(q, ["a" * 40 + "b", "aaaa", "", "ba" * 30], limit_s=1.0)
    except DataError:
        pass
    assert time.perf_counter() - t0 < 2.5, p
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000, p   # KiB


def test_backtracking_patterns_are_linear_with_re2():
    labels = ["a" * 5_000 + "!"] * 200
    t0 = time.perf_counter()
    assert matching(compile_query("(a+)+$", regex=True), labels) == []
    assert time.perf_counter() - t0 < 1.0
