"""Item analysis: Moodle's quiz statistics checked against numbers worked out by hand in the comments.

Variances and covariances are sample ones (divide by n - 1); "rest" is the attempt's total minus the question.
"""

from __future__ import annotations

import pytest

from quizzes.analysis import (
    QUESTION_COLUMNS,
    RESPONSE_COLUMNS,
    SUMMARY_COLUMNS,
    AttemptScores,
    ItemScore,
    ResponseCount,
    analyse_quiz,
    response_rows,
    summary_row,
    to_rows,
)


def attempt(attempt_id, *items) -> AttemptScores:
    """items: (question_id, earned, max_mark[, response_key[, slot]])."""
    return AttemptScores(attempt_id, [ItemScore(*item) for item in items])


def by_id(analysis):
    return {q.question_id: q for q in analysis.questions}


# --- dataset A: 5 attempts x 3 one-mark questions ----------------------------------------------------------
#
#            Q1 Q2 Q3 | total   responses (Q1, Q2, Q3)
#   a1        1  1  1 |   3     A  True   c
#   a2        1  1  0 |   2     A  True   a
#   a3        1  0  1 |   2     A  False  c
#   a4        0  1  0 |   1     B  True   b
#   a5        0  0  0 |   0     -  -      a      (- = no response)
#
# Totals 3,2,2,1,0: mean 1.6, median 2; deviations 1.4,.4,.4,-.6,-1.6; squares sum 1.96+.16+.16+.36+2.56 = 5.2
#   Var = 5.2/4 = 1.3, SD = √1.3 = 1.140175
#   m2 = 5.2/5 = 1.04; m3 = (2.744+.064+.064-.216-4.096)/5 = -.288; m4 = (3.8416+.0256+.0256+.1296+6.5536)/5 = 2.1152
#   skewness: k3 = 25·(-.288)/(4·3) = -.6;  -.6/1.3^1.5 = -.6/1.482228 = -0.404796
#   kurtosis: k4 = 25·(6·2.1152 - 12·1.04²)/(4·3·2) = 25·(12.6912-12.9792)/24 = -.3;  -.3/1.3² = -0.177515
# Each question has p = .6 or .4, so Var = 5·.24/4 = .3 (SD 54.77 %); ΣVar = .9
#   CIC = 100·3/2·(1 - .9/1.3) = 46.1538 %   (KR-20 agrees: 3/2·(1 - Σpq/σ²) = 1.5·(1 - .72/1.04) = .461538)
#   error ratio = 100·√(1 - .461538) = 73.3799 %; SE = .733799·1.140175 = .836660 (= √(.538462·1.3) = √.7)
# Q1: x = 1,1,1,0,0 (mean .6), rest = 2,1,1,1,0 (mean 1)
#   dx = .4,.4,.4,-.6,-.6; dy = 1,0,0,0,-1; Σdxdy = .4+.6 = 1 -> Cov .25; Var(rest) = 2/4 = .5
#   DI = 100·.25/√(.3·.5) = 64.5497 %; sorted: x 0,0,1,1,1 / rest 0,1,1,1,2 -> Σ = .6+.4 = 1 -> Cmax .25, DE 100 %
# Q2: x = 1,1,0,1,0 (mean .6), rest = 2,1,2,0,0 (mean 1)
#   dx = .4,.4,-.6,.4,-.6; dy = 1,0,1,-1,-1; Σdxdy = .4-.6-.4+.6 = 0 -> DI 0 %, DE 0 % (Cmax = 2/4 = .5)
# Q3: x = 1,0,1,0,0 (mean .4), rest = 2,2,1,1,0 (mean 1.2)
#   dx = .6,-.4,.6,-.4,-.4; dy = .8,.8,-.2,-.2,-1.2; Σdxdy = .48-.32-.12+.08+.48 = .6 -> Cov .15; Var(rest) = 2.8/4 = .7
#   DI = 100·.15/√(.3·.7) = 32.7327 %; sorted: x 0,0,0,1,1 / rest 0,1,1,2,2 -> Σ = .48+.08+.08+.48+.48 = 1.6
#   -> Cmax .4, DE = 100·.15/.4 = 37.5 %
# Effective weight, Cov with the total (deviations 1.4,.4,.4,-.6,-1.6):
#   Q1 Σ = .56+.16+.16+.36+.96 = 2.2 -> .55; Q2 Σ = .56+.16-.24-.24+.96 = 1.2 -> .3
#   Q3 Σ = .84-.16+.24+.24+.64 = 1.8 -> .45 (the three add up to Var(total) = 1.3)
#   √: .741620, .547723, .670820 (sum 1.960163) -> 37.8346 %, 27.9427 %, 34.2227 %
# Intended weight: 1/3 of the 3 marks = 33.33 % each.

DATASET_A = [
    attempt("a1", ("Q1", 1, 1, "A"), ("Q2", 1, 1, "True"), ("Q3", 1, 1, "c")),
    attempt("a2", ("Q1", 1, 1, "A"), ("Q2", 1, 1, "True"), ("Q3", 0, 1, "a")),
    attempt("a3", ("Q1", 1, 1, "A"), ("Q2", 0, 1, "False"), ("Q3", 1, 1, "c")),
    attempt("a4", ("Q1", 0, 1, "B"), ("Q2", 1, 1, "True"), ("Q3", 0, 1, "b")),
    attempt("a5", ("Q1", 0, 1, None), ("Q2", 0, 1, None), ("Q3", 0, 1, "a")),
]


def test_quiz_statistics_of_dataset_a():
    quiz = analyse_quiz(DATASET_A).quiz

    assert quiz.attempt_count == 5
    assert quiz.max_total == 3
    assert quiz.mean == pytest.approx(1.6)
    assert quiz.median == pytest.approx(2)
    assert quiz.standard_deviation == pytest.approx(1.140175, abs=1e-6)
    assert quiz.skewness == pytest.approx(-0.404796, abs=1e-6)
    assert quiz.kurtosis == pytest.approx(-0.177515, abs=1e-6)
    assert quiz.cic == pytest.approx(46.153846, abs=1e-6)
    assert quiz.error_ratio == pytest.approx(73.379939, abs=1e-6)
    assert quiz.standard_error == pytest.approx(0.836660, abs=1e-6)


@pytest.mark.parametrize(
    ("qid", "facility", "di", "de", "ew"),
    [
        ("Q1", 60, 64.549722, 100, 37.834605),
        ("Q2", 60, 0, 0, 27.942707),
        ("Q3", 40, 32.732684, 37.5, 34.222688),
    ],
)
def test_question_statistics_of_dataset_a(qid, facility, di, de, ew):
    question = by_id(analyse_quiz(DATASET_A))[qid]

    assert question.attempt_count == 5
    assert question.facility == pytest.approx(facility)
    assert question.standard_deviation == pytest.approx(54.772256, abs=1e-6)
    assert question.intended_weight == pytest.approx(100 / 3)
    assert question.effective_weight == pytest.approx(ew, abs=1e-6)
    assert question.discrimination_index == pytest.approx(di, abs=1e-6)
    assert question.discriminative_efficiency == pytest.approx(de, abs=1e-6)
    assert question.random_guess_score is None


def test_response_frequencies_most_frequent_first_ties_in_order_seen():
    # Q1: A 3/5 = 60 %, B 1/5 = 20 %, no response 20 %; Q3: c 2, a 2 (c seen first), b 1.
    questions = by_id(analyse_quiz(DATASET_A))

    assert questions["Q1"].responses == (
        ResponseCount("A", 3, 60.0),
        ResponseCount("B", 1, 20.0),
        ResponseCount(None, 1, 20.0),
    )
    assert questions["Q2"].responses == (
        ResponseCount("True", 3, 60.0),
        ResponseCount("False", 1, 20.0),
        ResponseCount(None, 1, 20.0),
    )
    assert [(r.response_key, r.count) for r in questions["Q3"].responses] == [("c", 2), ("a", 2), ("b", 1)]


# --- dataset B: random draws, a two-mark question and an essay awaiting grading ----------------------------
#
# Slot S2 draws Q2 or Q3; E is an essay, ungraded in b2; b7 holds only an ungraded essay, so it is left out.
#
#            Q1/2  S2        E/1   | total
#   b1        2    Q2 = 1    1     |  4
#   b2        1    Q3 = 1    -     |  2
#   b3        0    Q2 = 0    1     |  1
#   b4        2    Q3 = 0    1     |  3
#   b5        1    Q2 = 1    0     |  2
#   b6        0    Q3 = 0    0     |  0
#   b7        -    -         -     |  (left out)
#
# Totals 4,2,1,3,2,0: mean 2, median 2; deviations 2,0,-1,1,0,-2; Σd² = 10 -> Var 2, SD √2 = 1.414214
#   Σd³ = 8-1+1-8 = 0 -> skewness 0; m2 = 10/6, m4 = (16+1+1+16)/6 = 34/6
#   k4 = 36·(7·34/6 - 3·5·(10/6)²)/(5·4·3) = 36·(39.6667 - 41.6667)/60 = -1.2 -> kurtosis -1.2/2² = -.3
# Max total = 2 + 1 + 1 = 4 (b2's ungraded essay still counts towards it)
# CIC over positions Q1, S2, E: Var(Q1: 2,1,0,2,1,0) = 4/5 = .8; Var(S2: 1,1,0,0,1,0) = 1.5/5 = .3;
#   Var(E: 1,1,1,0,0) = 1.2/4 = .3; Σ = 1.4 -> CIC = 100·3/2·(1 - 1.4/2) = 45 %
#   error ratio = 100·√.55 = 74.1620 %; SE = .741620·√2 = 1.048809 (= √1.1)
# Q1 (6 attempts): facility 1/2 = 50 %, SD √.8/2 = 44.7214 %; rest = 2,1,1,1,1,0 (mean 1)
#   dx = 1,0,-1,1,0,-1; dy = 1,0,0,0,0,-1; Σ = 2 -> Cov .4; Var(rest) = 2/5 = .4; DI = 100·.4/√(.8·.4) = 70.7107 %
# Q2 (b1, b3, b5 only): x = 1,0,1 (mean 2/3), rest = 3,1,1 (mean 5/3)
#   facility 66.67 %; Var = (1/9+4/9+1/9)/2 = 1/3, SD 57.7350 %
#   dx = 1/3,-2/3,1/3; dy = 4/3,-2/3,-2/3; Σ = (4+4-2)/9 = 2/3 -> Cov 1/3; Var(rest) = (16+4+4)/9/2 = 4/3
#   DI = 100·(1/3)/√(1/3·4/3) = 50 %
# Q3 (b2, b4, b6 only): x = 1,0,0 (mean 1/3), rest = 1,3,0 (mean 4/3)
#   dx = 2/3,-1/3,-1/3; dy = -1/3,5/3,-4/3; Σ = (-2-5+4)/9 = -1/3 -> Cov -1/6; Var(rest) = (1+25+16)/9/2 = 7/3
#   DI = 100·(-1/6)/√(1/3·7/3) = -18.8982 %; sorted: x 0,0,1 / rest 0,1,3 -> Σ = (4+1+10)/9 = 15/9 -> Cmax 5/6
#   DE = 100·(-1/6)/(5/6) = -20 %
# E (5 graded attempts: b1, b3, b4, b5, b6): x = 1,1,1,0,0 (mean .6), rest = 3,0,2,2,0 (mean 1.4)
#   facility 60 %; dx = .4,.4,.4,-.6,-.6; dy = 1.6,-1.4,.6,.6,-1.4; Σ = .64-.56+.24-.36+.84 = .8 -> Cov .2
#   Var(rest) = (2.56+1.96+.36+.36+1.96)/4 = 1.8; DI = 100·.2/√(.3·1.8) = 27.2166 %
#   sorted: x 0,0,1,1,1 / rest 0,0,2,2,3 -> Σ = .84+.84+.24+.24+.64 = 2.8 -> Cmax .7; DE = 100·.2/.7 = 28.5714 %
# Intended weights: Q1 2/4 = 50 %, Q2, Q3 and E 1/4 = 25 %.

DATASET_B = [
    attempt("b1", ("Q1", 2, 2), ("Q2", 1, 1, "x", "S2"), ("E", 1, 1, "essay")),
    attempt("b2", ("Q1", 1, 2), ("Q3", 1, 1, "y", "S2"), ("E", None, 1, "essay")),
    attempt("b3", ("Q1", 0, 2), ("Q2", 0, 1, "z", "S2"), ("E", 1, 1, "essay")),
    attempt("b4", ("Q1", 2, 2), ("Q3", 0, 1, "z", "S2"), ("E", 1, 1, "essay")),
    attempt("b5", ("Q1", 1, 2), ("Q2", 1, 1, "x", "S2"), ("E", 0, 1, None)),
    attempt("b6", ("Q1", 0, 2), ("Q3", 0, 1, "z", "S2"), ("E", 0, 1, None)),
    attempt("b7", ("E", None, 1, "essay")),
]


def test_quiz_statistics_of_dataset_b_use_positions_and_leave_ungraded_out():
    quiz = analyse_quiz(DATASET_B).quiz

    assert quiz.attempt_count == 6
    assert quiz.max_total == 4
    assert quiz.mean == pytest.approx(2)
    assert quiz.median == pytest.approx(2)
    assert quiz.standard_deviation == pytest.approx(1.414214, abs=1e-6)
    assert quiz.skewness == pytest.approx(0, abs=1e-9)
    assert quiz.kurtosis == pytest.approx(-0.3)
    assert quiz.cic == pytest.approx(45)
    assert quiz.error_ratio == pytest.approx(74.161985, abs=1e-6)
    assert quiz.standard_error == pytest.approx(1.048809, abs=1e-6)


@pytest.mark.parametrize(
    ("qid", "attempts", "facility", "sd", "weight", "di", "de"),
    [
        ("Q1", 6, 50, 44.721360, 50, 70.710678, 100),
        ("Q2", 3, 200 / 3, 57.735027, 25, 50, 100),
        ("Q3", 3, 100 / 3, 57.735027, 25, -18.898224, -20),
        ("E", 5, 60, 54.772256, 25, 27.216553, 28.571429),
    ],
)
def test_question_statistics_of_dataset_b_use_only_attempts_where_it_appeared(
    qid, attempts, facility, sd, weight, di, de
):
    question = by_id(analyse_quiz(DATASET_B))[qid]

    assert question.attempt_count == attempts
    assert question.facility == pytest.approx(facility)
    assert question.standard_deviation == pytest.approx(sd, abs=1e-6)
    assert question.intended_weight == pytest.approx(weight)
    assert question.discrimination_index == pytest.approx(di, abs=1e-6)
    assert question.discriminative_efficiency == pytest.approx(de, abs=1e-6)


def test_ungraded_responses_are_not_counted():
    # E: graded "essay" in b1, b3, b4 and no response in b5, b6; b2 and b7 await grading.
    assert by_id(analyse_quiz(DATASET_B))["E"].responses == (
        ResponseCount("essay", 3, 60.0),
        ResponseCount(None, 2, 40.0),
    )


def test_questions_come_in_order_of_first_appearance():
    assert [q.question_id for q in analyse_quiz(DATASET_B).questions] == ["Q1", "Q2", "E", "Q3"]


# --- Cronbach's alpha: a textbook example --------------------------------------------------------------------
#
# Five respondents, three items on a 1-5 scale:
#            I1 I2 I3 | total
#   p1        4  5  4 |  13
#   p2        3  3  4 |  10
#   p3        5  4  5 |  14
#   p4        2  3  2 |   7
#   p5        4  4  3 |  11
# I1: mean 3.6, Σd² = .16+.36+1.96+2.56+.16 = 5.2 -> 1.3;  I2: mean 3.8, Σd² = 1.44+.64+.04+.64+.04 = 2.8 -> .7
# I3: mean 3.6, Σd² = .16+.16+1.96+2.56+.36 = 5.2 -> 1.3;  Σσᵢ² = 3.3
# Totals: mean 11, Σd² = 4+1+9+16+0 = 30 -> σ²_X = 7.5
# α = k/(k-1)·(1 - Σσᵢ²/σ²_X) = 3/2·(1 - 3.3/7.5) = 1.5·.56 = .84 -> 84 %; error ratio 100·√.16 = 40 %
# SE = .4·√7.5 = 1.095445


def test_cronbach_alpha_of_a_textbook_example():
    scores = [(4, 5, 4), (3, 3, 4), (5, 4, 5), (2, 3, 2), (4, 4, 3)]
    attempts = [attempt(n, *((f"I{i}", s, 5) for i, s in enumerate(row, 1))) for n, row in enumerate(scores)]

    quiz = analyse_quiz(attempts).quiz

    assert quiz.cic == pytest.approx(84)
    assert quiz.error_ratio == pytest.approx(40)
    assert quiz.standard_error == pytest.approx(1.095445, abs=1e-6)


# --- edge cases ----------------------------------------------------------------------------------------------


def test_no_attempts_gives_empty_statistics():
    analysis = analyse_quiz([])

    assert analysis.questions == ()
    assert analysis.quiz.attempt_count == 0
    assert analysis.quiz.max_total == 0
    assert {analysis.quiz.mean, analysis.quiz.median, analysis.quiz.standard_deviation, analysis.quiz.cic} == {None}
    assert to_rows(analysis) == []
    assert response_rows(analysis) == []
    assert summary_row(analysis) == {key: None for key in SUMMARY_COLUMNS} | {"attempts": 0, "max_total": 0.0}


def test_one_attempt_defines_only_what_one_value_can():
    # Q1 0.5/1, Q2 2/2: total 2.5 of 3; facility 50 % and 100 %; nothing needing a spread is defined.
    analysis = analyse_quiz([attempt(1, ("Q1", 0.5, 1), ("Q2", 2, 2))])
    quiz, questions = analysis.quiz, by_id(analysis)

    assert (quiz.attempt_count, quiz.mean, quiz.median) == (1, 2.5, 2.5)
    assert [quiz.standard_deviation, quiz.skewness, quiz.kurtosis, quiz.cic, quiz.error_ratio] == [None] * 5
    assert quiz.standard_error is None
    assert questions["Q1"].facility == pytest.approx(50)
    assert questions["Q2"].facility == pytest.approx(100)
    for question in questions.values():
        assert question.standard_deviation is None
        assert question.discrimination_index is None
        assert question.discriminative_efficiency is None
        assert question.effective_weight is None


def test_zero_variance_gives_none_instead_of_dividing_by_zero():
    # Four identical attempts, 0.1 and 0.7 of 1 (values whose float means are not exact): all spreads are 0.
    attempts = [attempt(n, ("Q1", 0.1, 1), ("Q2", 0.7, 1)) for n in range(4)]
    analysis = analyse_quiz(attempts)
    quiz = analysis.quiz

    assert quiz.mean == pytest.approx(0.8)
    assert quiz.standard_deviation == 0
    assert [quiz.skewness, quiz.kurtosis, quiz.cic, quiz.error_ratio, quiz.standard_error] == [None] * 5
    for question in analysis.questions:
        assert question.standard_deviation == 0
        assert question.discrimination_index is None
        assert question.discriminative_efficiency is None
        assert question.effective_weight is None
    assert by_id(analysis)["Q1"].facility == pytest.approx(10)


def test_only_ungraded_attempts_are_left_out_entirely():
    analysis = analyse_quiz([attempt(1, ("E", None, 5, "essay")), attempt(2, ("E", None, 5))])

    assert analysis.quiz.attempt_count == 0
    assert analysis.questions == ()


def test_question_worth_zero_marks_has_no_facility_or_weight():
    analysis = analyse_quiz([attempt(n, ("D", 0, 0)) for n in range(3)])
    question = analysis.questions[0]

    assert question.facility is None
    assert question.standard_deviation is None
    assert question.intended_weight is None


def test_question_with_negative_covariance_gets_no_effective_weight():
    # Q1 = 1,0,0 and Q2 = 0,2,2 give totals 1,2,2 (mean 5/3).
    # Cov(Q1, X): dx 2/3,-1/3,-1/3 · dX -2/3,1/3,1/3 = -6/9 over 2 = -1/3 < 0 -> None
    # Cov(Q2, X): dx -4/3,2/3,2/3 -> (8+2+2)/9 over 2 = 2/3 -> the whole sum of roots: 100 %
    analysis = analyse_quiz(
        [attempt(1, ("Q1", 1, 1), ("Q2", 0, 2)), *(attempt(n, ("Q1", 0, 1), ("Q2", 2, 2)) for n in (2, 3))]
    )

    assert by_id(analysis)["Q1"].effective_weight is None
    assert by_id(analysis)["Q2"].effective_weight == pytest.approx(100)


def test_a_question_twice_in_one_attempt_is_an_error():
    with pytest.raises(ValueError, match="twice"):
        analyse_quiz([attempt(1, ("Q1", 1, 1), ("Q1", 0, 1))])


def test_random_guess_scores_are_shown_as_percentages():
    analysis = analyse_quiz(DATASET_A, guess_scores={"Q1": 0.25, "Q2": 0.5})

    assert [q.random_guess_score for q in analysis.questions] == [25, 50, None]


# --- rows for the page and the CSV --------------------------------------------------------------------------


def test_rows_have_stable_columns_and_two_decimals():
    analysis = analyse_quiz(DATASET_B, guess_scores={"Q1": 0})
    rows = to_rows(analysis)

    assert all(tuple(row) == QUESTION_COLUMNS for row in rows)
    assert rows[0] == {
        "question_id": "Q1",
        "attempts": 6,
        "max_mark": 2.0,
        "facility": 50.0,
        "standard_deviation": 44.72,
        "random_guess_score": 0.0,
        "intended_weight": 50.0,
        # Cov with the total: Q1 6/5, Q2 2/3, E 2/4, Q3 1/6 -> √ 1.095445 + .816497 + .707107 + .408248 = 3.027297
        "effective_weight": 36.19,  # 100·1.095445/3.027297 = 36.1856
        "discrimination_index": 70.71,
        "discriminative_efficiency": 100.0,
    }
    assert rows[3]["facility"] == 33.33
    assert rows[3]["discrimination_index"] == -18.9
    assert rows[3]["discriminative_efficiency"] == -20.0


def test_response_rows_flatten_the_frequency_table():
    rows = response_rows(analyse_quiz(DATASET_A))

    assert all(tuple(row) == RESPONSE_COLUMNS for row in rows)
    assert rows[:3] == [
        {"question_id": "Q1", "response": "A", "count": 3, "percent": 60.0},
        {"question_id": "Q1", "response": "B", "count": 1, "percent": 20.0},
        {"question_id": "Q1", "response": None, "count": 1, "percent": 20.0},
    ]
    assert len(rows) == 9


def test_summary_row_gives_marks_and_percentages_of_the_max_total():
    # Dataset B out of 4: mean 2 -> 50 %, SD √2 = 1.41 -> 35.36 %, SE 1.048809 -> 26.22 %.
    assert summary_row(analyse_quiz(DATASET_B)) == {
        "attempts": 6,
        "max_total": 4.0,
        "mean": 2.0,
        "median": 2.0,
        "standard_deviation": 1.41,
        "skewness": 0.0,
        "kurtosis": -0.3,
        "cic": 45.0,
        "error_ratio": 74.16,
        "standard_error": 1.05,
        "mean_percent": 50.0,
        "median_percent": 50.0,
        "standard_deviation_percent": 35.36,
        "standard_error_percent": 26.22,
    }
    assert tuple(summary_row(analyse_quiz(DATASET_B))) == SUMMARY_COLUMNS
