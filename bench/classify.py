"""Benchmark: the trained classifier on one core, against the word-list classifier it replaced.

Input: a realistic inbox mix generated from a fixed seed: 65% English and 35% Polish
messages of 20 to 280 characters (questions about orders, complaints, praise, spam and
chatter, with order numbers, products, names, emoji, mentions and links), built from
templates and word pools so that most messages are distinct. Roost:
`roost.inbox.classify.classify()` (language, sentiment and intent from the model,
priority) over every message. Reference, measured in the same run on the same
messages: `roost.inbox.classify.rules.classify_by_rules()`, the word-list classifier
(language, sentiment and intent, no priority). Measured: messages per second of the
process's CPU time (`time.process_time`: one core's work, so that other jobs on a
shared machine do not count against it; wall-clock rates are reported beside it),
median of the runs, the two taking turns; each run of each starts with empty per-word
memos (cold), and a second series measures them warm (memos filled, as in a worker that
has read the same inbox a while). The value is the cold median. Every message must get a
valid label and sentiment and intent probabilities that sum to 1, or the run fails.

Needs no database.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RATE = 5000.0  # messages/s on one core, cold

PRODUCTS = ("Aero kettle", "Nimbus headphones", "Terra backpack", "Lumo lamp", "Vela jacket")
NAMES = ("Ania", "Kuba", "Marta", "Piotr", "Emma", "Liam", "Olivia", "Noah")
EMOJI = ("", "", "", " 😡", " 😍", " 🙏", " 👍", " 🤬", " ❤️", " 😭")
ENGLISH = (
    "Where is my order {n}? It has been {d} days and still nothing.",
    "I want a refund for order {n}, the {p} arrived broken.",
    "Love the new {p}! Great job, team",
    "How do I change the delivery address on order {n}?",
    "Your app keeps crashing when I open the {p} page. Please fix it.",
    "Thanks for the quick help yesterday, {name}!",
    "Is the {p} available in blue, or only in black?",
    "Worst customer service ever. Nobody answers my emails about order {n}.",
    "Can I still get a refund if I opened the box?",
    "The {p} is fine but delivery took {d} days, a bit slow.",
    "@{name} look at this {p}, we should get one for the flat",
    "Earn ${d}00 a day from home!!! DM me or check the link in my bio https://bit.ly/x{n}",
    "Charged twice for order {n} and support closed my ticket without an answer.",
    "Honestly the {p} exceeded my expectations, {name} at the store was so helpful",
    "Happy Friday everyone, see you at the opening on the {d}th",
    "Does the {p} come with a warranty? Mine started making a weird noise after {d} days.",
)
POLISH = (
    "Gdzie jest moje zamówienie {n}? Czekam już {d} dni i nic.",
    "Chcę zwrotu pieniędzy za zamówienie {n}, {p} przyszedł uszkodzony.",
    "Super nowy {p}! Dziękuję, świetna robota",
    "Jak zmienić adres dostawy dla zamówienia {n}?",
    "Aplikacja ciągle się zawiesza, kiedy otwieram {p}. Proszę o pomoc.",
    "Dziękuję za szybką pomoc wczoraj, {name}!",
    "Czy {p} jest dostępny w kolorze niebieskim?",
    "Najgorsza obsługa klienta. Nikt nie odpowiada na moje maile w sprawie {n}!",
    "Czy mogę jeszcze zwrócić towar, jeśli otworzyłem pudełko?",
    "{p} jest w porządku, ale dostawa trwała {d} dni.",
    "Zarabiaj {d}00 zł dziennie w domu, link w bio",
    "Kurier zostawił paczkę pod drzwiami w deszczu, {p} cały mokry. Żenada",
)
EXTRA = (
    "",
    "",
    " Order placed on the {d}th.",
    " Please answer, @shop_help.",
    " #fail",
    " I have been a customer for {d} years.",
)


def make_messages(count: int, seed: int = 14) -> list[str]:
    rnd = random.Random(seed)
    messages = []
    for _ in range(count):
        polish = rnd.random() < 0.35
        template = rnd.choice(POLISH if polish else ENGLISH)
        if not polish:
            template += rnd.choice(EXTRA)
        text = template.format(
            n=rnd.randint(10_000, 99_999),
            d=rnd.randint(2, 30),
            p=rnd.choice(PRODUCTS),
            name=rnd.choice(NAMES),
        ) + rnd.choice(EMOJI)
        messages.append(text[:280])
    return messages


def check(messages: Sequence[str]) -> list[str]:
    from roost.inbox.classify import Intent, Sentiment, classify

    problems = []
    for text in messages:
        result = classify(text)
        for name, scores, labels in (
            ("sentiment", result.sentiment_scores, set(Sentiment)),
            ("intent", result.intent_scores, set(Intent)),
        ):
            if set(scores) != {label.value for label in labels}:
                problems.append(f"{name} labels {sorted(scores)} for {text!r}")
            elif not math.isclose(sum(scores.values()), 1.0, abs_tol=1e-6):
                problems.append(f"{name} probabilities sum to {sum(scores.values())}: {text!r}")
        if max(result.sentiment_scores, key=result.sentiment_scores.__getitem__) != (
            result.sentiment.value
        ):
            problems.append(f"sentiment label is not the most probable: {text!r}")
        if len(problems) > 5:
            break
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and runs")
    args = parser.parse_args()
    count, runs = (4_000, 3) if args.quick else (20_000, 5)

    import_started = time.perf_counter()
    from roost.inbox.classify.classifier import classify, clear_memos
    from roost.inbox.classify.model import shipped_model
    from roost.inbox.classify.model.english import load_tables
    from roost.inbox.classify.rules import classify_by_rules

    shipped_model()
    load_tables()
    load_seconds = time.perf_counter() - import_started

    messages = make_messages(count)
    problems = check(messages[:2_000])
    if problems:
        print("correctness: " + "; ".join(problems))
        sys.exit(1)

    def run_model() -> None:
        for text in messages:
            classify(text)

    def run_rules() -> None:
        for text in messages:
            classify_by_rules(text)

    contenders: dict[str, Callable[[], None]] = {"roost": run_model, "rules": run_rules}
    modes = ("cold", "warm", "cold wall-clock")
    rates: dict[str, dict[str, list[float]]] = {
        mode: {name: [] for name in contenders} for mode in modes
    }
    for _ in range(runs):
        for name, run in contenders.items():
            clear_memos()
            started, wall = time.process_time(), time.perf_counter()
            run()
            rates["cold"][name].append(count / (time.process_time() - started))
            rates["cold wall-clock"][name].append(count / (time.perf_counter() - wall))
            started = time.process_time()
            run()
            rates["warm"][name].append(count / (time.process_time() - started))
    median = {
        mode: {name: statistics.median(values) for name, values in found.items()}
        for mode, found in rates.items()
    }
    value = median["cold"]["roost"]
    reference = median["cold"]["rules"]
    average_length = sum(len(text) for text in messages) / count
    print(
        f"{count:,} messages (65% English, 35% Polish, {average_length:.0f} characters on"
        f" average), {runs} runs each, one core, medians:"
    )
    for mode in modes:
        print(
            f"  {mode}: trained model {median[mode]['roost']:9,.0f} messages/s,"
            f" word lists {median[mode]['rules']:9,.0f} messages/s"
        )
    print(f"  model file and English tables loaded (with the imports) in {load_seconds:.2f} s")
    summary = {
        "bench": "classify",
        "size": {"messages": count, "runs": runs, "average_characters": round(average_length)},
        "value": round(value),
        "unit": "messages per CPU-second (cold memos, one core)",
        "better": "higher",
        "reference": "word-list classifier (rules.classify_by_rules), same messages",
        "reference_value": round(reference),
        "ratio": round(value / reference, 2),
        "target": TARGET_RATE,
        "ok": value >= TARGET_RATE,
        "warm_value": round(median["warm"]["roost"]),
        "warm_reference_value": round(median["warm"]["rules"]),
        "wall_clock_value": round(median["cold wall-clock"]["roost"]),
        "wall_clock_reference_value": round(median["cold wall-clock"]["rules"]),
        "load_seconds": round(load_seconds, 3),
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "classify.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
