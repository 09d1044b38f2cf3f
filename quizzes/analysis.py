"""Item analysis of a quiz, after Moodle's quiz statistics report: pure functions from attempt scores to statistics.

:func:`analyse_quiz` takes one :class:`AttemptScores` per attempt and returns a :class:`QuizAnalysis`;
:func:`to_rows`, :func:`response_rows` and :func:`summary_row` turn it into the rows that the report page and its
CSV download both show. The formulas are those of Moodle's ``question/classes/statistics/questions/calculator.php``
and ``mod/quiz/report/statistics/classes/calculator.php`` (docs: "Quiz statistics calculations"). Notation: for a
question, ``x`` is its mark in each attempt where it appeared, ``X`` that attempt's total and ``X - x`` the rest of
the test; variances and covariances are sample ones (divided by n - 1).

Where Moodle leaves room, this module decides:

* An item whose ``earned`` is None (an essay not yet graded) is left out: of its question's statistics, of its
  attempt's total and of the response counts. An attempt with no graded item is left out altogether.
* A question's statistics use only the attempts in which it appeared (questions drawn at random), as Moodle does.
* The coefficient of internal consistency is computed over quiz positions (``ItemScore.slot``, by default the
  question), since questions drawn into one position are alternatives, not extra items. It is defined from two
  attempts on (Moodle shows it from three, as a side effect of nesting it under the skewness).
* ``max_total`` is the largest total of an attempt's max marks (ungraded items included); intended weights and the
  ``*_percent`` summary figures are relative to it.
* A statistic that is undefined (too few attempts, zero variance, zero max mark) is None: nothing divides by zero.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

QuestionId = int | str

QUESTION_COLUMNS = (
    "question_id",
    "attempts",
    "max_mark",
    "facility",
    "standard_deviation",
    "random_guess_score",
    "intended_weight",
    "effective_weight",
    "discrimination_index",
    "discriminative_efficiency",
)
RESPONSE_COLUMNS = ("question_id", "response", "count", "percent")
SUMMARY_COLUMNS = (
    "attempts",
    "max_total",
    "mean",
    "median",
    "standard_deviation",
    "skewness",
    "kurtosis",
    "cic",
    "error_ratio",
    "standard_error",
    "mean_percent",
    "median_percent",
    "standard_deviation_percent",
    "standard_error_percent",
)


# --- input -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    """One question in one attempt.

    ``earned`` is None while the item awaits grading. ``response_key`` names the response given (a choice's id,
    "True", a normalised short answer...), None for no response. ``slot`` is the quiz position the question was
    drawn into; None means the question is its own position.
    """

    question_id: QuestionId
    earned: float | None
    max_mark: float
    response_key: str | None = None
    slot: QuestionId | None = None

    @property
    def position(self) -> QuestionId:
        """The slot, or the question when no slot was given."""
        return self.question_id if self.slot is None else self.slot


@dataclass(frozen=True)
class AttemptScores:
    """The items of one attempt; a question appears at most once."""

    attempt_id: int | str
    items: Sequence[ItemScore]


# --- output ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseCount:
    """How many graded attempts at a question gave ``response_key``, and their percentage of those attempts."""

    response_key: str | None
    count: int
    percent: float


@dataclass(frozen=True)
class QuestionStats:
    """One question's statistics; every figure but ``attempt_count`` and ``max_mark`` is a percentage or None."""

    question_id: QuestionId
    attempt_count: int
    max_mark: float
    facility: float | None
    standard_deviation: float | None
    random_guess_score: float | None
    intended_weight: float | None
    effective_weight: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    responses: tuple[ResponseCount, ...]


@dataclass(frozen=True)
class QuizStats:
    """Statistics of attempt totals, in marks; ``cic`` and ``error_ratio`` are percentages."""

    attempt_count: int
    max_total: float
    mean: float | None
    median: float | None
    standard_deviation: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None
    error_ratio: float | None
    standard_error: float | None


@dataclass(frozen=True)
class QuizAnalysis:
    """The whole report: quiz-level statistics and one entry per question, in order of first appearance."""

    quiz: QuizStats
    questions: tuple[QuestionStats, ...]


# --- analysis ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    graded: list[ItemScore]
    total: float
    max_total: float


def analyse_quiz(
    attempts: Iterable[AttemptScores], guess_scores: Mapping[QuestionId, float] | None = None
) -> QuizAnalysis:
    """Compute the quiz's item analysis.

    ``guess_scores`` optionally maps a question to its random guess score as a fraction (what its question type
    expects a guesser to earn, e.g. 0.25 for one right answer in four); it is shown as a percentage.
    Raises ValueError when a question appears twice in one attempt.
    """
    kept = [_graded_attempt(attempt) for attempt in attempts]
    kept = [attempt for attempt in kept if attempt.graded]
    max_total = max((attempt.max_total for attempt in kept), default=0.0)
    samples = _samples_by_question(kept)
    weights = _effective_weights({qid: _covariance(*_marks_and_totals(s)) for qid, s in samples.items()})
    guesses = guess_scores or {}
    questions = tuple(
        _question_stats(qid, s, max_total, weights.get(qid), guesses.get(qid)) for qid, s in samples.items()
    )
    return QuizAnalysis(_quiz_stats(kept, max_total), questions)


def _graded_attempt(attempt: AttemptScores) -> _Attempt:
    """Keep the graded items; the total is their earned sum, the max total every item's max mark."""
    ids = [item.question_id for item in attempt.items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"attempt {attempt.attempt_id!r} holds a question twice")
    graded = [item for item in attempt.items if item.earned is not None]
    return _Attempt(
        graded,
        math.fsum(item.earned for item in graded),
        math.fsum(item.max_mark for item in attempt.items),
    )


def _samples_by_question(attempts: list[_Attempt]) -> dict[QuestionId, list[tuple[ItemScore, float]]]:
    """Each question's (item, attempt total) pairs, questions in order of first appearance."""
    samples: dict[QuestionId, list[tuple[ItemScore, float]]] = {}
    for attempt in attempts:
        for item in attempt.graded:
            samples.setdefault(item.question_id, []).append((item, attempt.total))
    return samples


def _marks_and_totals(samples: list[tuple[ItemScore, float]]) -> tuple[list[float], list[float]]:
    return [item.earned for item, _ in samples], [total for _, total in samples]


def _question_stats(
    qid: QuestionId,
    samples: list[tuple[ItemScore, float]],
    max_total: float,
    effective_weight: float | None,
    guess_score: float | None,
) -> QuestionStats:
    """Facility = 100·mean(x)/max; SD = 100·sd(x)/max; intended weight = 100·max/max_total; DI and DE as below.

    ``max`` is the question's largest max mark (it is one value unless the quiz changed between attempts).
    """
    marks, totals = _marks_and_totals(samples)
    rest = [total - mark for mark, total in zip(marks, totals, strict=True)]
    max_mark = max(item.max_mark for item, _ in samples)
    sd = _stdev(marks)
    return QuestionStats(
        question_id=qid,
        attempt_count=len(marks),
        max_mark=max_mark,
        facility=_percent(statistics.fmean(marks), max_mark),
        standard_deviation=None if sd is None else _percent(sd, max_mark),
        random_guess_score=None if guess_score is None else 100 * guess_score,
        intended_weight=_percent(max_mark, max_total),
        effective_weight=effective_weight,
        discrimination_index=_discrimination_index(marks, rest),
        discriminative_efficiency=_discriminative_efficiency(marks, rest),
        responses=_response_counts([item.response_key for item, _ in samples]),
    )


def _discrimination_index(marks: list[float], rest: list[float]) -> float | None:
    """DI = 100·Cov(x, X−x) / √(Var(x)·Var(X−x)): the correlation of the question with the rest of the test."""
    covariance, var_x, var_rest = _covariance(marks, rest), _variance(marks), _variance(rest)
    if covariance is None or not var_x or not var_rest:
        return None
    return 100 * covariance / math.sqrt(var_x * var_rest)


def _discriminative_efficiency(marks: list[float], rest: list[float]) -> float | None:
    """DE = 100·Cov(x, X−x) / Cmax, Cmax being the covariance of both lists sorted: the largest it could be."""
    covariance = _covariance(marks, rest)
    largest = _covariance(sorted(marks), sorted(rest))
    if covariance is None or not largest:
        return None
    return 100 * covariance / largest


def _effective_weights(covariances: Mapping[QuestionId, float | None]) -> dict[QuestionId, float]:
    """EW_i = 100·√Cov(x_i, X) / Σ_j √Cov(x_j, X), the sum over questions with Cov ≥ 0 (the others get None)."""
    roots = {qid: math.sqrt(c) for qid, c in covariances.items() if c is not None and c >= 0}
    whole = math.fsum(roots.values())
    return {qid: 100 * root / whole for qid, root in roots.items()} if whole else {}


def _response_counts(keys: list[str | None]) -> tuple[ResponseCount, ...]:
    """Count and 100·count/n of each response; most frequent first, ties in order of first appearance."""
    return tuple(ResponseCount(key, count, 100 * count / len(keys)) for key, count in Counter(keys).most_common())


def _quiz_stats(attempts: list[_Attempt], max_total: float) -> QuizStats:
    """Mean, median, SD, skewness and kurtosis of attempt totals X; CIC, error ratio and standard error from them."""
    totals = [attempt.total for attempt in attempts]
    sd = _stdev(totals)
    cic = _cronbach_alpha(_marks_by_slot(attempts), totals)
    error_ratio = _error_ratio(cic)
    return QuizStats(
        attempt_count=len(totals),
        max_total=max_total,
        mean=statistics.fmean(totals) if totals else None,
        median=statistics.median(totals) if totals else None,
        standard_deviation=sd,
        skewness=_skewness(totals),
        kurtosis=_kurtosis(totals),
        cic=cic,
        error_ratio=error_ratio,
        standard_error=None if error_ratio is None or sd is None else error_ratio / 100 * sd,
    )


def _marks_by_slot(attempts: list[_Attempt]) -> list[list[float]]:
    """Each quiz position's marks over the attempts where it was graded."""
    marks: dict[QuestionId, list[float]] = {}
    for attempt in attempts:
        for item in attempt.graded:
            marks.setdefault(item.position, []).append(item.earned)
    return list(marks.values())


def _cronbach_alpha(slot_marks: list[list[float]], totals: list[float]) -> float | None:
    """CIC = 100·p/(p−1)·(1 − Σ Var(slot) / Var(X)) over p positions (Cronbach's alpha as a percentage).

    A position graded only once has no variance and adds 0 to the sum, as in Moodle.
    """
    p, total_variance = len(slot_marks), _variance(totals)
    if p < 2 or not total_variance:
        return None
    slot_variance = math.fsum(_variance(marks) or 0.0 for marks in slot_marks)
    return 100 * p / (p - 1) * (1 - slot_variance / total_variance)


def _error_ratio(cic: float | None) -> float | None:
    """ER = 100·√(1 − CIC/100); the standard error is then SE = ER/100 · SD, in marks."""
    if cic is None or cic > 100:
        return None
    return 100 * math.sqrt(1 - cic / 100)


# --- descriptive statistics --------------------------------------------------------------------------------


def _variance(values: Sequence[float]) -> float | None:
    """Σ(v − v̄)²/(n − 1), None below two values; exactly 0 for equal values (statistics sums exactly)."""
    return statistics.variance(values) if len(values) > 1 else None


def _stdev(values: Sequence[float]) -> float | None:
    variance = _variance(values)
    return None if variance is None else math.sqrt(variance)


def _covariance(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Σ(x − x̄)(y − ȳ)/(n − 1), None below two pairs; exactly 0 when either side is constant.

    The shortcut matters: rounding in the means would otherwise leave a tiny covariance that the effective
    weight's square root turns into a visible share.
    """
    if len(xs) < 2:
        return None
    if len(set(xs)) == 1 or len(set(ys)) == 1:
        return 0.0
    return statistics.covariance(xs, ys)


def _central_moment(values: Sequence[float], power: int) -> float:
    """m_k = Σ(v − v̄)^k / n."""
    mean = statistics.fmean(values)
    return math.fsum((value - mean) ** power for value in values) / len(values)


def _skewness(values: Sequence[float]) -> float | None:
    """k3 / k2^1.5 with k2 = Var, k3 = n²·m3 / ((n−1)(n−2)); from three values on."""
    n, k2 = len(values), _variance(values)
    if n < 3 or not k2:
        return None
    k3 = n * n * _central_moment(values, 3) / ((n - 1) * (n - 2))
    return k3 / k2**1.5


def _kurtosis(values: Sequence[float]) -> float | None:
    """k4 / k2² with k4 = n²·((n+1)·m4 − 3(n−1)·m2²) / ((n−1)(n−2)(n−3)); from four values on (0 when normal)."""
    n, k2 = len(values), _variance(values)
    if n < 4 or not k2:
        return None
    m2, m4 = _central_moment(values, 2), _central_moment(values, 4)
    k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
    return k4 / (k2 * k2)


def _percent(part: float, whole: float) -> float | None:
    return 100 * part / whole if whole else None


# --- rows for the report page and its CSV ------------------------------------------------------------------


def to_rows(analysis: QuizAnalysis) -> list[dict]:
    """One dict per question, keyed by :data:`QUESTION_COLUMNS`; numbers rounded to 2 decimals, None kept."""
    return [
        {
            "question_id": q.question_id,
            "attempts": q.attempt_count,
            "max_mark": _round(q.max_mark),
            "facility": _round(q.facility),
            "standard_deviation": _round(q.standard_deviation),
            "random_guess_score": _round(q.random_guess_score),
            "intended_weight": _round(q.intended_weight),
            "effective_weight": _round(q.effective_weight),
            "discrimination_index": _round(q.discrimination_index),
            "discriminative_efficiency": _round(q.discriminative_efficiency),
        }
        for q in analysis.questions
    ]


def response_rows(analysis: QuizAnalysis) -> list[dict]:
    """One dict per (question, response), keyed by :data:`RESPONSE_COLUMNS`; ``response`` None is no response."""
    return [
        {"question_id": q.question_id, "response": r.response_key, "count": r.count, "percent": _round(r.percent)}
        for q in analysis.questions
        for r in q.responses
    ]


def summary_row(analysis: QuizAnalysis) -> dict:
    """The quiz-level figures keyed by :data:`SUMMARY_COLUMNS`; ``*_percent`` are of ``max_total``, as Moodle shows."""
    quiz = analysis.quiz
    row = {
        "attempts": quiz.attempt_count,
        "max_total": _round(quiz.max_total),
        "mean": _round(quiz.mean),
        "median": _round(quiz.median),
        "standard_deviation": _round(quiz.standard_deviation),
        "skewness": _round(quiz.skewness),
        "kurtosis": _round(quiz.kurtosis),
        "cic": _round(quiz.cic),
        "error_ratio": _round(quiz.error_ratio),
        "standard_error": _round(quiz.standard_error),
    }
    for key in ("mean", "median", "standard_deviation", "standard_error"):
        value = getattr(quiz, key)
        row[f"{key}_percent"] = None if value is None else _round(_percent(value, quiz.max_total))
    return row


def _round(value: float | None) -> float | None:
    """Round to 2 decimals; adding 0.0 turns -0.0 into 0.0, so a CSV never shows "-0.0"."""
    return None if value is None else round(value, 2) + 0.0
