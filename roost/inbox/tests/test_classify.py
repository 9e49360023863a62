"""The offline message classifier: language, sentiment, intent, priority, and its measured
accuracy against the labelled evaluation set. Pure functions: no database.

Sentiment and intent come from the trained model (test_classify_model.py checks it on
held-out messages). The phrase-by-phrase cases below describe the word-list rules
(`rules.classify_by_rules`), which stay as the benchmark's reference and as features of
the model; priority is checked from given labels (`prioritise_labels`), since it
follows from the labels whoever sets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from roost.inbox import models
from roost.inbox.classify import (
    PRIORITY_ORDER,
    UNDETERMINED,
    Classification,
    Intent,
    Priority,
    Sentiment,
    classify,
    clean,
    detect_language,
    evaluate,
    prioritise_labels,
)
from roost.inbox.classify.classifier import clear_memos
from roost.inbox.classify.evaluation import (
    DEFAULT_PATH,
    EvaluationSetError,
    main,
    read_examples,
)
from roost.inbox.classify.rules import classify_by_rules
from roost.inbox.classify.wordlists import DATA, WordListError, read_sections

# What the evaluation must keep beating: the majority-class baseline by this much for
# sentiment and intent in English and Polish, and this language-detection accuracy.
MARGIN = 0.20
LANGUAGE_ACCURACY = 0.95


class TestLanguage:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Where is my parcel? It was supposed to arrive on Monday", "en"),
            ("Gdzie jest moja paczka? Miała być w poniedziałek", "pl"),
            # People often leave out the Polish diacritics.
            ("gdzie jest moja paczka, miala byc w poniedzialek", "pl"),
            ("dziekuje bardzo, wszystko dotarlo", "pl"),
            ("Wo bleibt mein Paket? Es sollte am Montag kommen", "de"),
            ("¿Dónde está mi paquete? Tenía que llegar el lunes", "es"),
            ("Où est mon colis ? Il devait arriver lundi", "fr"),
            ("Vielen Dank für die schnelle Lieferung", "de"),
            ("Muchas gracias por el envío tan rápido", "es"),
            ("Merci beaucoup pour la livraison rapide", "fr"),
            # Single-letter cues settle short texts.
            ("Dzięki!", "pl"),
            ("Größe?", "de"),
            ("¿Cuándo?", "es"),
            ("Très déçue", "fr"),
        ],
    )
    def test_detects_the_five_languages(self, text: str, expected: str) -> None:
        assert classify(text).language == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("@roost_shop @jan.kowalski.bsky.social czy wysyłacie do Czech? 🙏🙏 #pytanie", "pl"),
            ("OMG 😍😍😍 love it https://example.com/a/b?c=d #blessed @roost", "en"),
            ("@roost@mastodon.social wann kommt die Bestellung? 🤔 bit.ly/xyz", "de"),
        ],
    )
    def test_handles_mentions_emoji_hashtags_and_links(self, text: str, expected: str) -> None:
        assert classify(text).language == expected

    @pytest.mark.parametrize(
        "text",
        ["", "   ", "😡😡😡", "https://example.com/page", "@someone #tag", "ok", "Где мой заказ?"],
    )
    def test_undetermined_without_enough_latin_letters(self, text: str) -> None:
        assert classify(text).language == UNDETERMINED

    def test_a_hint_decides_very_short_texts(self) -> None:
        assert classify("ok", language_hint="pl").language == "pl"
        assert classify("ok 👍", language_hint="de").language == "de"

    def test_a_hint_does_not_override_clear_evidence(self) -> None:
        assert classify("Dziękuję za szybką dostawę", language_hint="en").language == "pl"

    def test_an_unknown_hint_is_ignored(self) -> None:
        assert classify("ok", language_hint="it").language == UNDETERMINED
        assert detect_language("Thanks for the quick reply", hint="xx") == "en"


class TestWordListSentiment:
    """The word-list rules' reading of negation, contrast, emoji and politeness."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("I love it, great quality", Sentiment.POSITIVE),
            ("Terrible service, never again", Sentiment.NEGATIVE),
            ("My order number is 12345", Sentiment.NEUTRAL),
            # Negation.
            ("not good", Sentiment.NEGATIVE),
            ("not bad at all", Sentiment.POSITIVE),
            ("I'm not happy with this", Sentiment.NEGATIVE),
            ("The parcel never arrived", Sentiment.NEGATIVE),
            ("It doesn't work", Sentiment.NEGATIVE),
            ("Can't wait for the new collection", Sentiment.POSITIVE),
            # Emoji and emoticons.
            ("the delivery 😡", Sentiment.NEGATIVE),
            ("new hoodie 😍", Sentiment.POSITIVE),
            ("thumbs down 👎", Sentiment.NEGATIVE),
            ("❤️❤️", Sentiment.POSITIVE),
            ("arrived today :(", Sentiment.NEGATIVE),
            # Contrast: what follows "but" weighs more.
            ("Nice colour but the zip broke after a day", Sentiment.NEGATIVE),
            # Thanks in a question is politeness, not praise.
            ("Where is my order? Thanks", Sentiment.NEUTRAL),
            ("Thanks for fixing my broken lamp so quickly!", Sentiment.POSITIVE),
        ],
    )
    def test_english(self, text: str, expected: Sentiment) -> None:
        assert classify_by_rules(text).sentiment == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Polecam, świetna jakość", Sentiment.POSITIVE),
            ("Nie polecam", Sentiment.NEGATIVE),
            ("nie polecam, paczka nie dotarla", Sentiment.NEGATIVE),
            ("Nie jestem zadowolona z zakupu", Sentiment.NEGATIVE),
            ("Wcale nie takie złe", Sentiment.POSITIVE),
            ("Numer zamówienia 12345", Sentiment.NEUTRAL),
            # Inflection through stems.
            ("Jestem rozczarowany", Sentiment.NEGATIVE),
            ("Jestem rozczarowana", Sentiment.NEGATIVE),
            ("Co za rozczarowanie", Sentiment.NEGATIVE),
            ("Zepsuło się po tygodniu", Sentiment.NEGATIVE),
            # Without diacritics.
            ("dziekuje, swietna obsluga", Sentiment.POSITIVE),
            ("zenada, nikt nie odpowiada", Sentiment.NEGATIVE),
            # Intensifiers and emoji.
            ("bardzo szybka dostawa", Sentiment.POSITIVE),
            ("kurier znowu 🤬", Sentiment.NEGATIVE),
            ("Nie mogę się doczekać!", Sentiment.POSITIVE),
            # English borrowed into Polish.
            ("Kolekcja jest super, mega nice", Sentiment.POSITIVE),
        ],
    )
    def test_polish(self, text: str, expected: Sentiment) -> None:
        assert classify_by_rules(text).sentiment == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Sehr enttäuscht, das Paket ist kaputt", Sentiment.NEGATIVE),
            ("Tolle Qualität, vielen Dank!", Sentiment.POSITIVE),
            ("Me encanta, muchas gracias", Sentiment.POSITIVE),
            ("No funciona, una vergüenza", Sentiment.NEGATIVE),
            ("Je ne suis pas satisfait", Sentiment.NEGATIVE),
            ("Livraison rapide, j'adore", Sentiment.POSITIVE),
        ],
    )
    def test_german_spanish_french(self, text: str, expected: Sentiment) -> None:
        assert classify_by_rules(text).sentiment == expected

    def test_intensifiers_exclamation_marks_and_shouting_strengthen(self) -> None:
        assert classify_by_rules("it's fine").sentiment == Sentiment.NEUTRAL
        assert classify_by_rules("it's really fine!!!").sentiment == Sentiment.POSITIVE
        assert classify_by_rules("delivery was a bit slow").sentiment == Sentiment.NEUTRAL
        assert classify_by_rules("delivery was a bit SLOW").sentiment == Sentiment.NEGATIVE


class TestWordListIntent:
    """The word-list rules' intent order: spam, complaint, question, praise, other."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Do you ship to Ireland?", Intent.QUESTION),
            ("does anyone know when the sale starts", Intent.QUESTION),
            ("When will the hoodie be back in stock", Intent.QUESTION),
            ("Czy wysyłacie do Czech?", Intent.QUESTION),
            ("czy ktos wie ile trwa dostawa", Intent.QUESTION),
            ("Kiedy wróci rozmiar M", Intent.QUESTION),
            ("Gdzie mogę sprawdzić status zamówienia", Intent.QUESTION),
            ("My order is three weeks late and nobody answers", Intent.COMPLAINT),
            ("Where is my refund?? This is ridiculous", Intent.COMPLAINT),
            ("The kettle stopped working after a week", Intent.COMPLAINT),
            ("Zamówienie nie dotarło, a obsługa milczy. Żenada", Intent.COMPLAINT),
            ("Paczka przyszła uszkodzona, chcę zwrot pieniędzy", Intent.COMPLAINT),
            ("Thank you, love the new mugs ❤️", Intent.PRAISE),
            ("Super fast delivery, impressed!", Intent.PRAISE),
            ("Dziękuję, wszystko super!", Intent.PRAISE),
            ("Uwielbiam tę kurtkę 😍", Intent.PRAISE),
            ("Earn $500 a day from home, DM me 💰", Intent.SPAM),
            ("Crypto signals, 95% win rate https://t.me/xyz", Intent.SPAM),
            ("follow me and I follow back", Intent.SPAM),
            ("Zarabiaj w domu, link w bio", Intent.SPAM),
            ("you are all idiots", Intent.SPAM),
            ("spadajcie debile", Intent.SPAM),
            ("@anna look at this lamp", Intent.OTHER),
            ("Happy Friday everyone!", Intent.OTHER),
            ("Oglądam wasz live z Lizbony", Intent.OTHER),
        ],
    )
    def test_intents(self, text: str, expected: Intent) -> None:
        assert classify_by_rules(text).intent == expected

    def test_a_rude_complaint_is_still_a_complaint(self) -> None:
        # Abuse with a real problem in it goes to a person, not the spam folder.
        for found in (
            classify_by_rules("You idiots, my order arrived broken"),
            classify("You idiots, my order arrived broken"),
        ):
            assert found.intent == Intent.COMPLAINT

    def test_a_customer_asking_for_a_dm_is_not_spam(self) -> None:
        text = "Can you DM me the tracking number?"
        assert classify_by_rules(text).intent == Intent.QUESTION
        assert classify(text).intent != Intent.SPAM

    def test_a_link_alone_is_not_spam(self) -> None:
        text = "Is this the same jacket? https://example.com/p/123"
        assert classify_by_rules(text).intent == Intent.QUESTION
        assert classify(text).intent != Intent.SPAM

    @pytest.mark.parametrize(
        "text",
        [
            "Earn $500 a day from home, DM me 💰",
            "Zarabiaj w domu, link w bio",
            "you are all idiots",
            "spadajcie debile",
        ],
    )
    def test_listed_spam_and_abuse_stay_spam_for_the_model(self, text: str) -> None:
        # The spam cue list sets a floor under the model's spam probability.
        result = classify(text)
        assert result.intent == Intent.SPAM
        assert result.intent_scores["spam"] >= 0.9


class TestPriority:
    @pytest.mark.parametrize(
        ("text", "labels", "kwargs", "priority", "reasons"),
        [
            (
                "My order is two weeks late and nobody answers 😡",
                ("negative", "complaint"),
                {"author_followers": 120_000},
                Priority.URGENT,
                ("VIP: 120,000 followers", "complaint with negative sentiment"),
            ),
            (
                "Zamówienie nie dotarło, żenada",
                ("negative", "complaint"),
                {"author_verified": True},
                Priority.URGENT,
                ("VIP: verified account", "complaint with negative sentiment"),
            ),
            (
                "I'm talking to my lawyer about a lawsuit",
                ("negative", "other"),
                {},
                Priority.URGENT,
                ("keyword: lawyer", "keyword: lawsuit"),
            ),
            (
                "Składam pozew przeciwko wam",
                ("negative", "other"),
                {},
                Priority.URGENT,
                ("keyword: pozew",),
            ),
            (
                "Wyciek danych klientów?",
                ("neutral", "question"),
                {},
                Priority.URGENT,
                ("keyword: wyciek",),
            ),
            (
                "The charger caught fire",
                ("negative", "complaint"),
                {},
                Priority.URGENT,
                ("complaint with negative sentiment", "keyword: caught fire"),
            ),
            (
                "Love your shop!",
                ("positive", "praise"),
                {"author_followers": 75_000},
                Priority.HIGH,
                ("VIP: 75,000 followers",),
            ),
            (
                "Love your shop!",
                ("positive", "praise"),
                {"author_followers": 60_000, "author_verified": True},
                Priority.HIGH,
                ("VIP: verified, 60,000 followers",),
            ),
            (
                "The parcel arrived broken, really disappointed",
                ("negative", "complaint"),
                {},
                Priority.HIGH,
                ("complaint with negative sentiment",),
            ),
            (
                "Courier marked it as delivered, it wasn't",
                ("neutral", "complaint"),
                {},
                Priority.HIGH,
                ("complaint",),
            ),
            (
                "A journalist asked me about your returns",
                ("neutral", "other"),
                {},
                Priority.HIGH,
                ("keyword: journalist",),
            ),
            (
                "Do you ship to Ireland?",
                ("neutral", "question"),
                {"author_followers": 49_999},
                Priority.NORMAL,
                (),
            ),
            (
                "Earn $500 a day, DM me 💰",
                ("neutral", "spam"),
                {"author_followers": 500_000},
                Priority.LOW,
                ("spam or abuse",),
            ),
        ],
    )
    def test_priorities_and_reasons(
        self,
        text: str,
        labels: tuple[str, str],
        kwargs: dict[str, object],
        priority: Priority,
        reasons: tuple[str, ...],
    ) -> None:
        sentiment, intent = labels
        found = prioritise_labels(sentiment=sentiment, intent=intent, text=text, **kwargs)  # type: ignore[arg-type]
        assert found == (priority, reasons)

    def test_classify_gives_the_priority_of_its_own_labels(self) -> None:
        for text in ("My order is two weeks late and nobody answers 😡", "Składam pozew"):
            result = classify(text, author_followers=120_000)
            assert (result.priority, result.reasons) == prioritise_labels(
                sentiment=result.sentiment,
                intent=result.intent,
                author_followers=120_000,
                text=text,
            )

    def test_callers_vip_keywords_are_urgent(self) -> None:
        result = classify("Is the Acme Pro back?", vip_keywords=["acme pro"])
        assert result.priority == Priority.URGENT
        assert result.reasons == ("keyword: acme pro",)

    def test_vip_keywords_ignore_case_and_diacritics_and_match_word_starts(self) -> None:
        assert classify("Recalled?", vip_keywords=["recall"]).priority == Priority.URGENT
        result = classify("ZAŻÓŁĆ gęślą jaźń", vip_keywords=["zazolc"])
        assert result.reasons == ("keyword: zażółć",)
        assert classify("Bricall", vip_keywords=["recall"]).priority == Priority.NORMAL

    def test_blank_vip_keywords_match_nothing(self) -> None:
        assert classify("hello there", vip_keywords=["", "  "]).priority == Priority.NORMAL


class TestCleaning:
    def test_links_mentions_hashtags_and_emoji_come_out(self) -> None:
        cleaned = clean(
            "@brand @ola.bsky.social hi 👋🏽 see https://x.co/a?b=c and www.example.com "
            "or shop.example.pl/sale #BlackFriday ❤️ :-))) xD"
        )
        assert cleaned.text == "hi see and or"
        assert cleaned.urls == ("https://x.co/a?b=c", "www.example.com", "shop.example.pl/sale")
        assert cleaned.mentions == ("@brand", "@ola.bsky.social")
        assert cleaned.hashtags == ("BlackFriday",)
        # Skin tones and variation selectors are dropped; emoticons take one canonical form.
        assert cleaned.emoji == ("👋", "❤", ":)", "xd")

    def test_mastodon_handles_are_one_mention(self) -> None:
        assert clean("@jan@mastodon.social thanks").mentions == ("@jan@mastodon.social",)

    def test_emails_times_and_prices_are_not_emoticons(self) -> None:
        cleaned = clean("Open 10:30-18:00, price 8) total")
        assert cleaned.emoji == ()

    def test_hashtag_words_still_count_for_sentiment(self) -> None:
        assert classify("Third parcel this month #NeverAgain").sentiment == Sentiment.NEGATIVE

    def test_links_do_not_change_the_language(self) -> None:
        text = "Dziękuję za szybką dostawę"
        with_noise = f"@sklep {text} 🙏 https://example.com/en/thank-you-very-much #thanks"
        assert classify(with_noise).language == classify(text).language == "pl"


class TestDeterminism:
    TEXTS = (
        "Where is my order?? 3 weeks 😡",
        "Dziękuję, polecam!",
        "Earn $$$ now https://x.co",
        "Wann kommt mein Paket?",
        "",
    )

    def test_same_input_same_result(self) -> None:
        first = [classify(text, author_followers=60_000) for text in self.TEXTS]
        clear_memos()
        again = [classify(text, author_followers=60_000) for text in reversed(self.TEXTS)]
        assert first == list(reversed(again))

    def test_result_is_frozen(self) -> None:
        result = classify("hello")
        assert isinstance(result, Classification)
        with pytest.raises(AttributeError):
            result.priority = Priority.URGENT  # type: ignore[misc]

    def test_labels_equal_their_plain_values(self) -> None:
        result = classify("Love it, thank you!")
        assert (result.sentiment, result.intent, result.priority) == (
            "positive",
            "praise",
            "normal",
        )


class TestEvaluation:
    def test_the_set_is_big_enough(self) -> None:
        examples = read_examples(DEFAULT_PATH)
        counts = {code: sum(e.language == code for e in examples) for code in ("en", "pl")}
        assert len(examples) >= 300
        assert counts["en"] >= 150
        assert counts["pl"] >= 150
        for code in ("de", "es", "fr"):
            assert sum(e.language == code for e in examples) >= 20

    def test_the_set_is_kept_apart_from_tuning_data(self) -> None:
        evaluated = {e.text for e in read_examples(DEFAULT_PATH)}
        tuned = {e.text for e in read_examples(DATA / "dev.tsv")}
        samples = {
            line.strip()
            for path in (DATA / "profiles").glob("*.txt")
            for line in path.read_text(encoding="utf-8").splitlines()
        }
        assert not evaluated & tuned
        assert not evaluated & samples

    def test_beats_the_majority_baseline_by_the_margin(self) -> None:
        report = evaluate()
        for code in ("en", "pl"):
            row = report.row(code)
            assert row.sentiment_accuracy >= row.sentiment_baseline + MARGIN, row
            assert row.intent_accuracy >= row.intent_baseline + MARGIN, row
            assert row.language_accuracy >= LANGUAGE_ACCURACY, row
        assert report.row("all").language_accuracy >= LANGUAGE_ACCURACY

    def test_report_table_and_mistakes(self) -> None:
        report = evaluate()
        table = report.table()
        assert table.splitlines()[0].startswith("| language | messages |")
        assert "| all |" in table
        wrong = {m.example.text for m in report.mistakes}
        assert len(wrong) == len(report.mistakes)

    def test_small_file_scores_and_baselines(self, tmp_path: Path) -> None:
        path = tmp_path / "set.tsv"
        path.write_text(
            "language\tsentiment\tintent\ttext\n"
            "# a comment\n"
            "en\tpositive\tpraise\tLove it, thank you!\n"
            "en\tneutral\tquestion\tDo you ship to Ireland?\n"
            "en\tneutral\tquestion\tIs the blue one in stock?\n"
            "pl\tnegative\tcomplaint\tPaczka nie dotarła, żenada\n",
            encoding="utf-8",
        )
        report = evaluate(path)
        english = report.row("en")
        assert english.messages == 3
        assert english.language_accuracy == 1.0
        assert english.intent_accuracy == 1.0
        assert english.intent_baseline == pytest.approx(2 / 3)
        assert english.sentiment_baseline == pytest.approx(2 / 3)
        assert report.row("all").language_baseline == pytest.approx(3 / 4)
        assert report.row("en").language_baseline is None

    @pytest.mark.parametrize(
        "line",
        ["en\tpositive\tpraise", "xx\tpositive\tpraise\thi", "en\thappy\tpraise\thi"],
    )
    def test_malformed_lines_are_named(self, tmp_path: Path, line: str) -> None:
        path = tmp_path / "bad.tsv"
        path.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(EvaluationSetError, match=r"bad\.tsv:1"):
            evaluate(path)

    def test_command_prints_the_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main([str(DEFAULT_PATH)]) == 0
        out = capsys.readouterr().out
        assert "| en |" in out
        assert "| pl |" in out


class TestWordLists:
    def test_every_shipped_file_parses(self) -> None:
        for path in sorted(DATA.rglob("*.txt")):
            if path.parent.name == "profiles" and path.name != "stopwords.txt":
                continue
            if path.parent.name == "english":  # tables of the English features, not lists
                continue
            assert read_sections(path), path

    def test_a_duplicate_entry_is_an_error(self, tmp_path: Path) -> None:
        path = tmp_path / "list.txt"
        path.write_text("[sentiment]\ngood 2\nbad -2\ngood 3\n", encoding="utf-8")
        with pytest.raises(WordListError, match=r"list\.txt:4"):
            read_sections(path)


def test_the_inbox_stores_the_priorities_the_classifier_gives() -> None:
    # One Priority: what the classifier decides is what conversations, routing rules and
    # SLA policies store and offer, in the same order, least urgent first.
    assert models.Priority is Priority
    for model in (models.Conversation, models.Message, models.RoutingRule, models.SlaPolicy):
        assert model._meta.get_field("priority").choices == [
            ("low", "Low"),
            ("normal", "Normal"),
            ("high", "High"),
            ("urgent", "Urgent"),
        ]
    assert max("high", "normal", "urgent", "low", key=PRIORITY_ORDER.index) == Priority.URGENT
