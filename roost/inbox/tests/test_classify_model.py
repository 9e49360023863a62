"""The trained model that ships with the classifier: it beats the majority baseline on
messages it never saw, its probabilities are a proper distribution, priority can be
recomputed from labels, and the model file is read strictly. Pure functions: no database.

The full measurement on the public test sets is `python -m
roost.inbox.classify.training.evaluate` (docs/classification.md); this file checks the
shipped artefact on a small fixture written for Roost (`data/model_check.tsv`), because
the public sets' licences (Twitter's terms, CC BY-NC-SA) do not allow keeping their rows
in this repository.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from roost.inbox.classify import (
    Intent,
    Priority,
    Sentiment,
    classify,
    prioritise_labels,
)
from roost.inbox.classify.classifier import clear_memos, score_labels
from roost.inbox.classify.model import (
    ARTIFACT,
    COMPLAINT_CUES_HEAD,
    COMPLAINT_HEAD,
    ENGLISH_SENTIMENT_HEADS,
    HEADS,
    OTHER_LANGUAGE,
    Model,
    ModelFileError,
    read_model,
    shipped_model,
    write_model,
)
from roost.inbox.classify.model.english import clusters, english_buckets_of, english_features
from roost.inbox.classify.model.features import buckets_of, english_buckets, read
from roost.inbox.classify.model.hashing import DIMENSIONS, bucket
from roost.inbox.classify.rules import classify_by_rules
from roost.inbox.classify.training.choose_english import Result as EnglishResult
from roost.inbox.classify.training.choose_english import choose as choose_english
from roost.inbox.classify.training.evaluate import END, START, score, write_docs
from roost.inbox.classify.training.sources import (
    TEST,
    TRAIN,
    VALIDATION,
    same_text,
    split_of,
)
from roost.inbox.classify.wordlists import DATA

FIXTURE = DATA / "model_check.tsv"
# How far above the majority-class accuracy the model must stay on the fixture.
MARGINS = {"sentiment": 0.30, "complaint": 0.25, "spam": 0.25}
OTHER_LANGUAGES_MARGIN = 0.20


def _rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("language\t"):
            continue
        language, task, label, text = line.split("\t")
        rows.append((language, task, label, text))
    return rows


def _predict(task: str, text: str) -> str:
    result = classify(text)
    if task == "sentiment":
        return result.sentiment.value
    if task == "complaint":
        return "complaint" if result.intent is Intent.COMPLAINT else "not"
    return "spam" if result.intent is Intent.SPAM else "not"


def _accuracies(rows: list[tuple[str, str, str, str]]) -> tuple[float, float]:
    gold = [label for _, _, label, _ in rows]
    said = [_predict(task, text) for _, task, _, text in rows]
    model = sum(g == s for g, s in zip(gold, said, strict=True)) / len(gold)
    baseline = Counter(gold).most_common(1)[0][1] / len(gold)
    return model, baseline


class TestAboveBaseline:
    @pytest.mark.parametrize(
        ("language", "task"),
        [("en", "sentiment"), ("pl", "sentiment"), ("en", "complaint"), ("en", "spam")],
    )
    def test_beats_the_majority_class_by_a_margin(self, language: str, task: str) -> None:
        rows = [row for row in _rows() if row[0] == language and row[1] == task]
        assert len(rows) >= 8
        model, baseline = _accuracies(rows)
        assert model >= baseline + MARGINS[task], (model, baseline)

    def test_german_spanish_and_french_sentiment_beat_it_too(self) -> None:
        rows = [row for row in _rows() if row[0] in ("de", "es", "fr")]
        assert len(rows) >= 18
        model, baseline = _accuracies(rows)
        assert model >= baseline + OTHER_LANGUAGES_MARGIN, (model, baseline)


class TestScores:
    @pytest.mark.parametrize(
        "text",
        [
            "Where is my order?? Three weeks and nothing 😡",
            "Dziękuję, wszystko super!",
            "",
            "😍😍",
            "Earn $500 a day from home, DM me 💰 https://bit.ly/x",
        ],
    )
    def test_probabilities_cover_every_label_and_sum_to_one(self, text: str) -> None:
        result = classify(text)
        assert set(result.sentiment_scores) == {label.value for label in Sentiment}
        assert set(result.intent_scores) == {label.value for label in Intent}
        for scores in (result.sentiment_scores, result.intent_scores):
            assert math.isclose(sum(scores.values()), 1.0, abs_tol=1e-9)
            assert all(0.0 <= value <= 1.0 for value in scores.values())
        assert result.sentiment_scores[result.sentiment] == max(result.sentiment_scores.values())
        assert result.intent_scores[result.intent] == max(result.intent_scores.values())

    def test_the_same_text_gives_the_same_answer(self) -> None:
        text = "Paczka nie dotarła, a obsługa milczy"
        assert classify(text) == classify(text)

    def test_memos_do_not_change_the_answer(self) -> None:
        text = "Not good at all, the zip broke 😡"
        first = classify(text)
        for other in ("something else entirely", "zip zip broke", "good good good"):
            classify(other)
        assert classify(text) == first
        clear_memos()
        assert classify(text) == first

    def test_a_score_is_the_normalised_sum_of_the_bucket_weights(self) -> None:
        model = shipped_model()
        head = model.heads["spam"]
        buckets = set(buckets_of("delivery"))
        assert len(buckets_of("delivery")) == 1 + 8 + 7  # the word, its 3- and 4-grams
        expected = head.bias + sum(head.weight(b) for b in buckets) / math.sqrt(len(buckets))
        assert model.score(head, buckets) == pytest.approx(expected)

    def test_an_angry_complaint_outranks_a_question(self) -> None:
        angry = classify("@shop I was charged twice and nobody answers my emails. Disgraceful")
        asking = classify("@shop what time do you open on Saturday?")
        assert angry.intent_scores["complaint"] > asking.intent_scores["complaint"]
        assert angry.sentiment_scores["negative"] > asking.sentiment_scores["negative"]


def _top_intent(text: str, *, head: str, offset: float, language: str = "") -> str:
    """The intent of `text` with one complaint head's bias moved by `offset`, as training
    moves it when choosing the decision point on validation."""
    shipped = shipped_model()
    heads = dict(shipped.heads)
    heads[head] = replace(heads[head], bias=heads[head].bias + offset)
    reading = read(text)
    if language:
        reading = replace(reading, language=language)
    _, scores = score_labels(reading, model=Model(heads, shipped.info))
    return max(scores, key=scores.__getitem__)


class TestComplaintDecisionPoint:
    TEXT = "@shop my parcel came a week late and the box was open"

    def test_the_shipped_model_is_the_default(self) -> None:
        reading = read(self.TEXT)
        assert score_labels(reading, model=shipped_model()) == score_labels(reading)

    @pytest.mark.parametrize(
        ("head", "language"), [(COMPLAINT_HEAD, ""), (COMPLAINT_CUES_HEAD, OTHER_LANGUAGE)]
    )
    def test_moving_a_heads_bias_moves_the_intent(self, head: str, language: str) -> None:
        assert _top_intent(self.TEXT, head=head, offset=-30.0, language=language) != "complaint"
        assert _top_intent(self.TEXT, head=head, offset=30.0, language=language) == "complaint"

    def test_another_languages_messages_ignore_the_english_head(self) -> None:
        low = _top_intent(self.TEXT, head=COMPLAINT_HEAD, offset=-30.0, language=OTHER_LANGUAGE)
        high = _top_intent(self.TEXT, head=COMPLAINT_HEAD, offset=30.0, language=OTHER_LANGUAGE)
        assert low == high


class TestPrioritiseLabels:
    def test_matches_classify_for_the_same_labels(self) -> None:
        text = "My order is two weeks late and nobody answers, I'm calling my lawyer"
        result = classify(text, author_followers=80_000)
        again = prioritise_labels(
            sentiment=result.sentiment,
            intent=result.intent,
            author_followers=80_000,
            text=text,
        )
        assert again == (result.priority, result.reasons)

    def test_a_corrected_label_changes_the_priority(self) -> None:
        assert prioritise_labels(sentiment="neutral", intent="other") == (Priority.NORMAL, ())
        assert prioritise_labels(sentiment="negative", intent="complaint") == (
            Priority.HIGH,
            ("complaint with negative sentiment",),
        )
        assert prioritise_labels(sentiment="neutral", intent="complaint") == (
            Priority.HIGH,
            ("complaint",),
        )
        assert prioritise_labels(sentiment="negative", intent="spam")[0] == Priority.LOW
        assert prioritise_labels(sentiment="neutral", intent="complaint", author_verified=True) == (
            Priority.URGENT,
            ("VIP: verified account", "complaint"),
        )

    def test_keywords_come_from_the_text(self) -> None:
        priority, reasons = prioritise_labels(
            sentiment="neutral", intent="question", text="Czy to prawda, że był wyciek danych?"
        )
        assert priority == Priority.URGENT
        assert reasons == ("keyword: wyciek",)
        assert prioritise_labels(
            sentiment="neutral", intent="question", vip_keywords=["acme"], text="Is Acme back?"
        ) == (Priority.URGENT, ("keyword: acme",))

    def test_unknown_labels_are_refused(self) -> None:
        with pytest.raises(ValueError):
            prioritise_labels(sentiment="angry", intent="complaint")


class TestModelFile:
    def test_the_shipped_file_is_small_and_has_every_head(self) -> None:
        assert ARTIFACT.stat().st_size < 5_000_000
        model = shipped_model()
        assert set(model.heads) == set(HEADS)
        assert model.info["sources"]

    def test_written_weights_read_back_within_rounding(self, tmp_path: Path) -> None:
        weights = {name: ([0.0] * DIMENSIONS, 0.25) for name in HEADS}
        weights["spam"][0][7] = 1.5
        weights["spam"][0][9] = -0.75
        path = tmp_path / "model.bin"
        write_model(path, heads=weights, info={"sources": {"x": "y"}})
        model = read_model(path)
        spam = model.heads["spam"]
        assert spam.bias == 0.25
        # 255 levels: the largest weight exactly, the others within half a level.
        assert spam.weight(7) == pytest.approx(1.5)
        assert spam.weight(9) == pytest.approx(-0.75, abs=spam.scale / 2)
        assert spam.weight(8) == 0.0

    @pytest.mark.parametrize(
        "damage",
        [
            lambda data: b"",
            lambda data: b"not a model\n" + data,
            lambda data: data[: len(data) // 2],
        ],
    )
    def test_a_damaged_file_is_refused(self, tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
        path = tmp_path / "model.bin"
        path.write_bytes(damage(ARTIFACT.read_bytes()))
        with pytest.raises(ModelFileError):
            read_model(path)

    def test_a_missing_file_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ModelFileError):
            read_model(tmp_path / "absent.bin")


def test_the_word_list_classifier_stays_as_the_reference() -> None:
    found = classify_by_rules("Zamówienie nie dotarło, a obsługa milczy. Żenada")
    assert (found.language, found.sentiment, found.intent) == ("pl", "negative", "complaint")


class TestMeasurement:
    """The pieces of the public-data evaluation that run without the data."""

    def test_splits_are_a_fixed_function_of_the_identifier(self) -> None:
        ids = [f"tweet-{number}" for number in range(10_000)]
        splits = Counter(split_of(identifier) for identifier in ids)
        assert [split_of(identifier) for identifier in ids[:50]] == [
            split_of(identifier) for identifier in ids[:50]
        ]
        assert 0.18 < splits[TEST] / len(ids) < 0.22
        assert 0.08 < splits[VALIDATION] / len(ids) < 0.12
        assert splits[TRAIN] + splits[TEST] + splits[VALIDATION] == len(ids)

    def test_copies_of_a_tweet_share_a_key(self) -> None:
        assert same_text("Where is my ORDER?!") == same_text("where is my order") != ""

    def test_scores_against_hand_counted_values(self) -> None:
        gold = ["negative", "negative", "neutral", "positive"]
        said = ["negative", "neutral", "neutral", "negative"]
        found = score(gold, said, ("negative", "neutral", "positive"))
        assert found.accuracy == 0.5
        assert found.recall == {"negative": 0.5, "neutral": 1.0, "positive": 0.0}
        # F1: negative 0.5 (precision 1/2, recall 1/2), neutral 2/3, positive 0.
        assert found.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0) / 3)

    def test_the_docs_section_is_replaced_between_its_markers(self, tmp_path: Path) -> None:
        path = tmp_path / "doc.md"
        path.write_text(f"# Title\n\nbefore\n\n{START}\nold\n{END}\n\nafter\n", encoding="utf-8")
        write_docs(f"{START}\nnew table\n{END}", path)
        assert path.read_text(encoding="utf-8") == (
            f"# Title\n\nbefore\n\n{START}\nnew table\n{END}\n\nafter\n"
        )


class TestEnglishSentimentHead:
    def test_a_rated_word_after_a_negator_reads_negated(self) -> None:
        plain = english_features(("this", "is", "good"), ())
        negated = english_features(("this", "is", "not", "good"), ())
        assert "v:p2" in plain
        assert "v:sum2" in plain
        assert "v:xp2" in negated
        assert "v:sum-1" in negated
        assert "v:lastn" in negated

    def test_a_full_stop_ends_the_negation(self) -> None:
        assert "v:p2" in english_features(("not", "today", ".", "good"), ())

    def test_a_spelling_the_tweets_never_had_reads_like_its_cluster(self) -> None:
        assert clusters()["awsome"] == clusters()["awesome"]
        shared = set(english_features(("awsome",), ())) & set(english_features(("awesome",), ()))
        assert any(feature.startswith("k:") for feature in shared)

    @pytest.mark.parametrize(
        ("words", "emoji"),
        [(("not", "awsome", "at", "all", "!"), (":(",)), (("luv", "it"), ("<3", "😍")), ((), ())],
    )
    def test_the_fast_buckets_are_the_features_buckets(
        self, words: tuple[str, ...], emoji: tuple[str, ...]
    ) -> None:
        spelled = {bucket(feature) for feature in english_features(words, emoji)}
        assert english_buckets_of(words, emoji) == spelled

    def test_emoticons_are_rated_and_clustered(self) -> None:
        found = english_features((), (":(",))
        assert "v:en2" in found
        assert "k:" + clusters()[":("] in found

    def test_english_messages_take_their_sentiment_from_the_english_head(self) -> None:
        reading = read("@shop the new jacket is lovely, thank you")
        assert reading.language == "en"
        assert reading.english_buckets > reading.buckets
        shipped = shipped_model()
        heads = dict(shipped.heads)
        name = ENGLISH_SENTIMENT_HEADS[0]
        heads[name] = replace(heads[name], bias=heads[name].bias + 30.0)
        sentiment, intent = score_labels(reading, model=Model(heads, shipped.info))
        assert max(sentiment, key=sentiment.__getitem__) == "negative"
        # Intent reads the shared softmax the complaint heads were tuned with.
        assert intent == score_labels(reading)[1]

    def test_other_languages_keep_the_shared_head(self) -> None:
        reading = read("Kurtka jest super, dziękuję bardzo!")
        assert reading.language == "pl"
        assert reading.english_buckets == frozenset()
        shipped = shipped_model()
        heads = dict(shipped.heads)
        name = ENGLISH_SENTIMENT_HEADS[0]
        heads[name] = replace(heads[name], bias=heads[name].bias + 30.0)
        assert score_labels(reading, model=Model(heads, shipped.info)) == score_labels(reading)

    def test_training_reads_english_features_in_tweets_detected_elsewhere(self) -> None:
        reading = read("Kurtka jest super, dziękuję bardzo!")
        assert english_buckets(reading) > reading.buckets


class TestEnglishHeadChoice:
    """The rule written down before the comparison: best validation macro-F1, unless a
    candidate with fewer feature groups is within 0.002 of it."""

    def test_the_best_wins_when_nothing_simpler_is_close(self) -> None:
        results = [
            EnglishResult("A", 2.0, True, 0.6048),
            EnglishResult("B", 2.0, False, 0.6216),
            EnglishResult("D", 1.0, False, 0.6241),
        ]
        assert choose_english(results) == results[2]

    def test_a_simpler_candidate_within_the_tie_wins(self) -> None:
        results = [
            EnglishResult("D", 1.0, False, 0.6241),
            EnglishResult("B", 2.0, False, 0.6226),
            EnglishResult("B", 1.0, True, 0.6225),
        ]
        assert choose_english(results) == results[1]
