"""Property tests of the pure grade-scheme modules (hypothesis), against written-out references."""

from __future__ import annotations

import math
import statistics as py_statistics
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grade_schemes import bands, generator, mc
from grade_schemes import statistics as gs_statistics
from grade_schemes.problems import Problem

GRADES = list(bands.GERMAN_GRADES)
PASSING = list(bands.PASSING_GRADES)

points = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def schemes(draw):
    """Valid point schemes: distinct grades, strictly lower thresholds for worse grades."""
    grades = sorted(draw(st.sets(st.sampled_from(PASSING), min_size=1, max_size=10)))
    thresholds = sorted(
        draw(st.lists(points, min_size=len(grades), max_size=len(grades), unique=True)),
        reverse=True,
    )
    return list(zip(thresholds, grades, strict=True))


def reference_grade(value, scheme):
    """Brute force: every band whose threshold is reached, the best grade among them, or 5.0."""
    reached = [grade for threshold, grade in scheme if value >= threshold]
    return min(reached) if reached else Decimal("5.0")


@given(scheme=schemes(), value=points)
def test_band_lookup_matches_brute_force(scheme, value):
    assert bands.validate(scheme) == []
    assert bands.grade_for(value, scheme) == reference_grade(value, scheme)


@given(scheme=schemes(), data=st.data())
def test_values_exactly_on_a_threshold_get_that_band(scheme, data):
    threshold, grade = data.draw(st.sampled_from(scheme))
    assert bands.grade_for(threshold, scheme) == grade
    below = threshold - Decimal("0.01")
    if below >= 0:
        assert bands.grade_for(below, scheme) > grade


@given(scheme=schemes(), value=points, maximum=st.integers(min_value=1, max_value=300))
def test_percentage_bands_compare_exactly(scheme, value, maximum):
    percent_scheme = [(min(t, Decimal(100)), g) for t, g in scheme]
    expected = reference_grade(
        Fraction(value) * 100 / maximum, [(Fraction(t), g) for t, g in percent_scheme]
    )
    got = bands.grade_for(value, percent_scheme, kind="percentage", maximum=maximum)
    assert got == expected
    absolute = bands.absolute_bands(percent_scheme, kind="percentage", maximum=maximum)
    assert bands.grade_for(value, absolute) == expected


def test_percentage_threshold_of_a_third_is_not_crossed_by_rounding():
    # 33.33 % of 30 = 9.999: 10 reaches it, 9.99 does not.
    scheme = [(Decimal("33.33"), Decimal("4.0"))]
    assert bands.grade_for(Decimal("9.999"), scheme, kind="percentage", maximum=30) == Decimal(
        "4.0"
    )
    assert bands.grade_for(Decimal("9.99"), scheme, kind="percentage", maximum=30) == Decimal("5.0")


def test_validation_reports_one_problem_per_band():
    problems = bands.validate(
        [("50", "1.0"), ("55", "2.0"), ("40", "4.3"), ("70", "3.0"), ("30", "2.0")], maximum=60
    )
    by_index = {p.index: p.code for p in problems}
    assert by_index == {
        1: "out_of_order",
        2: "not_german_grade",
        3: "above_maximum",
        4: "duplicate_grade",
    }
    assert [p.code for p in bands.validate([("10", "5.0")])] == ["no_passing_band"]
    assert [p.code for p in bands.validate([("x", "1.0")])][-1] == "bad_number"
    assert bands.validate([("101", "1.0")], kind="percentage")[0].code == "above_maximum"


@given(scheme=schemes())
def test_shuffled_valid_schemes_stay_valid(scheme):
    assert bands.validate(list(reversed(scheme))) == []


@given(
    passing=st.integers(min_value=0, max_value=300),
    span=st.integers(min_value=0, max_value=300),
    step=st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(2)]),
)
def test_generator_monotone_ten_bands_anchors_kept(passing, span, step):
    passing, excellence = Decimal(passing), Decimal(passing + span)
    if span == 0:
        with pytest.raises(Problem) as exc:
            generator.two_point_bands(passing_points=passing, excellence_points=excellence)
        assert exc.value.code == "excellence_not_above_passing"
        return
    if excellence - passing < 9 * step:
        with pytest.raises(Problem) as exc:
            generator.two_point_bands(
                passing_points=passing, excellence_points=excellence, step=step
            )
        assert exc.value.code == "span_too_small"
        return
    result = generator.two_point_bands(
        passing_points=passing, excellence_points=excellence, step=step
    )
    assert [g for _t, g in result] == PASSING + [Decimal("5.0")]
    thresholds = [t for t, _g in result[:-1]]
    assert all(a > b for a, b in zip(thresholds, thresholds[1:], strict=False))
    assert thresholds[0] == excellence and thresholds[-1] == passing
    assert result[-1] == (Decimal(0), Decimal("5.0"))
    spacing = Fraction(excellence - passing) / 9
    for i, threshold in enumerate(reversed(thresholds[1:-1]), start=1):
        exact = Fraction(passing) + i * spacing
        assert abs(Fraction(threshold) - exact) <= Fraction(step) / 2
        assert Fraction(threshold) / Fraction(step) == int(Fraction(threshold) / Fraction(step))
    assert bands.validate(result) == []


def test_generator_example_and_refusals():
    result = generator.two_point_bands(passing_points=24, excellence_points=54, step=1)
    assert [int(t) for t, _g in result[:-1]][::-1] == [24, 27, 31, 34, 37, 41, 44, 47, 51, 54]
    cases = [
        ({"passing_points": 30, "excellence_points": 30}, "excellence_not_above_passing"),
        ({"passing_points": 40, "excellence_points": 30}, "excellence_not_above_passing"),
        (
            {"passing_points": 24, "excellence_points": 61, "max_points": 60},
            "excellence_above_maximum",
        ),
        ({"passing_points": 24, "excellence_points": 32}, "span_too_small"),
        ({"passing_points": 24, "excellence_points": 40, "step": 2}, "span_too_small"),
        ({"passing_points": 24, "excellence_points": 54, "step": 0}, "bad_step"),
    ]
    for kwargs, code in cases:
        with pytest.raises(Problem) as exc:
            generator.two_point_bands(**kwargs)
        assert exc.value.code == code


values_lists = st.lists(points, min_size=1, max_size=60)


@given(values=values_lists)
def test_statistics_match_python(values):
    result = gs_statistics.distribution(values, bin_width=Decimal(5))
    assert result["count"] == len(values)
    assert result["min"] == min(values) and result["max"] == max(values)
    assert result["mean"] == py_statistics.mean(values)
    assert result["median"] == py_statistics.median(values)
    if len(values) >= 2:
        expected = py_statistics.stdev(values)
        assert abs(result["std"] - expected) <= Decimal("1e-20") * max(expected, 1)
    else:
        assert result["std"] is None
    ordered = sorted(values)
    for p in (10, 25, 50, 75, 90):
        rank = max(1, math.ceil(p * len(values) / 100))
        assert result["percentiles"][p] == ordered[rank - 1]
    histogram = result["histogram"]
    assert sum(count for _lo, _hi, count in histogram) == len(values)
    for lower, upper, count in histogram:
        assert upper - lower == 5
        assert count == sum(1 for v in values if lower <= v < upper)


def test_statistics_of_nothing_and_pass_share():
    empty = gs_statistics.distribution([])
    assert empty["count"] == 0 and empty["mean"] is None and empty["histogram"] == []
    grades = [Decimal("1.0"), Decimal("5.0"), Decimal("5.0"), None, Decimal("4.0")]
    absent = [False, False, True, False, False]
    assert gs_statistics.pass_share(grades, absent=absent) == Decimal(2 * 100) / 3
    assert gs_statistics.pass_share([None]) is None


@given(
    maximum=st.integers(min_value=1, max_value=600),
    scores=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=40),
    first=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=40),
)
def test_aeappro_pass_mark_is_the_formula_rounded_up(maximum, scores, first):
    scores = [Decimal(min(s, maximum)) for s in scores]
    first = [Decimal(min(s, maximum)) for s in first]
    result = mc.pass_mark(rule="aeappro", max_points=maximum, scores=scores, reference_scores=first)
    mean_ref = Fraction(sum(first)) / len(first)
    expected = math.ceil(min(Fraction(60, 100) * maximum, Fraction(78, 100) * mean_ref))
    assert result.pass_mark == expected
    assert result.reference == "first_attempts" and result.reference_count == len(first)
    assert result.pass_mark >= result.raw > result.pass_mark - 1


@given(
    maximum=st.integers(min_value=1, max_value=600),
    scores=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=40),
)
def test_sliding_pass_mark_is_the_formula_rounded_up(maximum, scores):
    scores = [Decimal(min(s, maximum)) for s in scores]
    result = mc.pass_mark(rule="sliding", max_points=maximum, scores=scores)
    mean_percent = Fraction(sum(scores)) / len(scores) * 100 / maximum
    threshold = max(min(mean_percent - 20, 60), 50)
    assert result.threshold_percent == Decimal(threshold.numerator) / threshold.denominator
    assert result.pass_mark == math.ceil(threshold * maximum / 100)


@given(
    maximum=st.integers(min_value=1, max_value=300),
    scores=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=30),
    absolute=st.integers(min_value=1, max_value=100),
    factor=st.sampled_from([None, Decimal("0.7"), Decimal("0.78")]),
    minus=st.sampled_from([None, Decimal(5), Decimal("7.5")]),
    floor=st.sampled_from([None, Decimal(40), Decimal(50)]),
)
def test_custom_pass_mark(maximum, scores, absolute, factor, minus, floor):
    assume(not (factor and minus))
    scores = [Decimal(min(s, maximum)) for s in scores]
    rule = mc.CustomRule(
        absolute_percent=Decimal(absolute),
        relative_factor=factor,
        relative_minus_points=minus,
        floor_percent=floor,
    )
    result = mc.pass_mark(rule=rule, max_points=maximum, scores=scores, step=Decimal("0.5"))
    mean = Fraction(sum(scores)) / len(scores)
    candidates = [Fraction(absolute * maximum, 100)]
    if factor:
        candidates.append(Fraction(factor) * mean)
    if minus:
        candidates.append(max(Fraction(0), mean - Fraction(minus)))
    raw = min(candidates)
    if floor:
        raw = max(raw, Fraction(floor) * maximum / 100)
    raw = min(raw, maximum)
    assert result.pass_mark == Decimal(math.ceil(raw * 2)) / 2


def test_pass_mark_examples():
    big = mc.pass_mark(rule="aeappro", max_points=573, scores=[Decimal(500)] * 3)
    assert big.pass_mark == 344 and big.rounded_up
    first = [Decimal("31.4")] * 212
    example = mc.pass_mark(
        rule="aeappro", max_points=50, scores=first + [Decimal(10)], reference_scores=first
    )
    assert (example.reference_count, example.reference_mean) == (212, Decimal("31.4"))
    assert example.relative_value == Decimal("24.492") and example.absolute_value == 30
    assert example.pass_mark == 25
    for mean, threshold in ((85, 60), (70, 50), (65, 50)):
        result = mc.pass_mark(rule="sliding", max_points=100, scores=[Decimal(mean)])
        assert result.threshold_percent == threshold
    with pytest.raises(Problem) as exc:
        mc.pass_mark(rule="nonsense", max_points=10, scores=[])
    assert exc.value.code == "bad_rule"


@given(
    mc_grade=st.sampled_from(GRADES),
    written=st.sampled_from(GRADES),
    weight=st.decimals(min_value=Decimal("0.01"), max_value=1, places=2),
)
def test_combination_rounds_to_the_nearest_german_grade(mc_grade, written, weight):
    result = mc.combine(mc_grade=mc_grade, written_grade=written, weight=weight)
    if mc_grade == Decimal("5.0"):
        assert result == Decimal("5.0")
        return
    raw = Fraction(weight) * Fraction(mc_grade) + (1 - Fraction(weight)) * Fraction(written)
    if raw > 4:
        assert result == Decimal("5.0")
        return
    distances = {g: abs(Fraction(g) - raw) for g in PASSING}
    best = min(distances.values())
    assert result == min(g for g, d in distances.items() if d == best)


def test_combination_examples_and_weight_refusals():
    assert mc.combine(mc_grade="1.0", written_grade="1.3", weight="0.5") == Decimal("1.0")  # tie
    assert mc.combine(mc_grade="4.0", written_grade="5.0", weight="0.5") == Decimal("5.0")
    assert mc.combine(mc_grade="2.0", written_grade="2.0", weight=1) == Decimal("2.0")
    for weight in ("0", "-0.1", "1.01"):
        with pytest.raises(Problem) as exc:
            mc.combine(mc_grade="1.0", written_grade="1.0", weight=weight)
        assert exc.value.code == "bad_weight"


@given(
    maximum=st.integers(min_value=4, max_value=200),
    score=st.integers(min_value=0, max_value=200),
    mark=st.integers(min_value=1, max_value=200),
)
def test_mc_grade_by_share(maximum, score, mark):
    score, mark = min(score, maximum), min(mark, maximum - 1)
    grade = mc.grade_by_share(score=score, pass_mark=mark, max_points=maximum)
    if score < mark:
        assert grade == Decimal("5.0")
        return
    share = Fraction(score - mark, maximum - mark)
    expected = (
        "1.0"
        if share >= Fraction(3, 4)
        else "2.0"
        if share >= Fraction(1, 2)
        else ("3.0" if share >= Fraction(1, 4) else "4.0")
    )
    assert grade == Decimal(expected)


def test_two_stage_and_shifted_bands():
    result = mc.pass_mark(rule="sliding", max_points=100, scores=[Decimal(70)])  # 50 %
    bands_percent = [(Decimal(90), Decimal("1.0")), (Decimal(60), Decimal("4.0"))]
    assert mc.shift_bands(bands_percent, threshold_percent=result.threshold_percent) == [
        (Decimal(80), Decimal("1.0")),
        (Decimal(50), Decimal("4.0")),
    ]
    failed = mc.two_stage_grade(
        mc_points=49, pass_mark_result=result, written_grade="1.0", weight="0.5"
    )
    assert (failed.grade, failed.reason) == (Decimal("5.0"), "mc_below_pass_mark")
    passed = mc.two_stage_grade(
        mc_points=80,
        pass_mark_result=result,
        written_grade="2.0",
        weight="0.5",
        bands_percent=bands_percent,
    )
    assert (passed.mc_grade, passed.grade, passed.reason) == (
        Decimal("1.0"),
        Decimal("1.3"),
        "",
    )  # 1.5 is a tie between 1.3 and 1.7: the better one
    by_share = mc.two_stage_grade(
        mc_points=100, pass_mark_result=result, written_grade="3.0", weight="0.25"
    )
    # 0.25 x 1.0 + 0.75 x 3.0 = 2.5: a tie between 2.3 and 2.7 goes to 2.3
    assert by_share.mc_grade == Decimal("1.0") and by_share.grade == Decimal("2.3")


@settings(max_examples=50)
@given(values=values_lists, width=st.sampled_from([Decimal("0.5"), Decimal(1), Decimal(7)]))
def test_histogram_bins_cover_every_value(values, width):
    histogram = gs_statistics.histogram(values, width=width, start=0)
    assert histogram[0][0] == 0
    assert sum(c for _l, _u, c in histogram) == len(values)
    assert histogram[-1][0] <= max(values) < histogram[-1][1]
