"""The public, human-labelled data the model is trained and measured on, pinned by commit.

None of it ships with Roost: `read_sources(root)` reads each file with `git show
<commit>:<path>` from a copy of its repository under `root`, found as `root/<owner>/<name>`
(a `git clone`) or `root/<owner>+<name>/repo`. SOURCES.md in this directory lists the
same sources with their licences and what the licences imply for the trained model.

Every example falls in exactly one split. Where a set comes with train/validation/test
files those are kept; otherwise the split is a fixed function of the row's identifier
(CRC-32 of the comment or tweet id, or of the sentence text), so identical sentences
always land in the same split and re-running gives the same split:
last digit 0-1 test, 2 validation, 3-9 train.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TRAIN = "train"
VALIDATION = "validation"
TEST = "test"
SPLITS = (TRAIN, VALIDATION, TEST)


class SourceMissingError(RuntimeError):
    """A source repository is not under the data root, or lacks the pinned commit."""


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    repository: str
    commit: str
    licence: str


TWEETEVAL = Source(
    "tweeteval",
    "cardiffnlp/tweeteval",
    "4fbd22cd78421f05b1ecdb4fc5725bc7a7bd8f66",
    "no restriction from TweetEval; SemEval-2017 Task 4 terms and Twitter's apply",
)
# The SemEval 2013-2016 English tweets that make up SemEval-2017's (and TweetEval's)
# training data: TweetEval's own training file is too large for the copy used here.
SEMEVAL = Source(
    "semeval",
    "cbaziotis/datastories-semeval2017-task4",
    "faeee5fd1c2cf38e32179a4676dff53ae01adfa8",
    "repository MIT; the tweets under SemEval-2017 Task 4 terms and Twitter's",
)
UMSAB = Source(
    "umsab",
    "cardiffnlp/xlm-t",
    "874214d64d96599eb869a033c22ec2cc57d19256",
    "repository Apache-2.0; each set under its original terms (SB-10k, DEFT 2017, InterTASS)",
)
POLEMO = Source(
    "polemo",
    "JakubJP/PJATK_ZUM",
    "a8eb0a2b5d6688386a1b509a7224ab5593d6e686",
    "CC BY-NC-SA 4.0 (PolEmo 2.0, CLARIN-PL)",
)
COMPLAINTS = Source(
    "complaints",
    "danielpreotiuc/complaints-social-media",
    "54e3402c129341809b7f1d9889d9311c3f1c1c16",
    "no licence stated; published with the authors' ACL 2019 paper for research",
)
YOUTUBE_SPAM = Source(
    "youtube_spam",
    "sadhukruz/YOUTUBE-Spam-Classifier",
    "e754c316b60d7ec5cb3fcf3a309afca9385ea685",
    "CC BY 4.0 (YouTube Spam Collection, Alberto, Lochter and Almeida 2015)",
)
SOURCES = (TWEETEVAL, SEMEVAL, UMSAB, POLEMO, COMPLAINTS, YOUTUBE_SPAM)
# Sets under a non-commercial licence: `train.py --without-non-commercial` leaves them out.
NON_COMMERCIAL = frozenset({POLEMO.key})

_SENTIMENT_NUMBERS = {"0": "negative", "1": "neutral", "2": "positive"}
_POLEMO_LABELS = {
    "__label__z_minus_m": "negative",
    "__label__z_zero": "neutral",
    "__label__z_plus_m": "positive",
    # Ambiguous sentences (mixed praise and criticism) have no place in three classes.
    "__label__z_amb": None,
}
_SEMEVAL_FILES = tuple(
    f"dataset/Subtask_A/downloaded/twitter-{name}-A.tsv"
    for name in (
        "2013train",
        "2013dev",
        "2013test",
        "2014test",
        "2015train",
        "2015test",
        "2016train",
        "2016dev",
        "2016devtest",
        "2016test",
    )
)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_UMSAB_LANGUAGES = {"german": "de", "french": "fr", "spanish": "es"}
_YOUTUBE_FILES = (
    "Youtube01-Psy.csv",
    "Youtube02-KatyPerry.csv",
    "Youtube03-LMFAO.csv",
    "Youtube04-Eminem.csv",
    "Youtube05-Shakira.csv",
)
_SPLIT_FILES = {TRAIN: "train", VALIDATION: "val", TEST: "test"}


@dataclass(frozen=True, slots=True)
class Example:
    source: str
    split: str
    language: str
    text: str
    # "negative"/"neutral"/"positive" for sentiment; "complaint"/"not" and "spam"/"not".
    label: str
    # The complaint set's domain: "random_tweet"/"random_reply" rows are not addressed to
    # a company and are used for training only.
    group: str = ""


def split_of(identifier: str) -> str:
    digit = zlib.crc32(identifier.encode("utf-8")) % 10
    if digit < 2:
        return TEST
    return VALIDATION if digit == 2 else TRAIN


def _repository(root: Path, source: Source) -> Path:
    owner, name = source.repository.split("/")
    for candidate in (root / owner / name, root / f"{owner}+{name}" / "repo"):
        if candidate.exists():
            return candidate
    raise SourceMissingError(
        f"{source.repository} not found under {root}: clone it into {root / owner / name}"
    )


def read_file(root: Path, source: Source, path: str) -> str:
    repository = _repository(root, source)
    done = subprocess.run(
        ["git", "-C", str(repository), "show", f"{source.commit}:{path}"],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise SourceMissingError(
            f"{source.repository}@{source.commit[:10]}:{path}: {done.stderr.decode().strip()}"
        )
    return done.stdout.decode("utf-8-sig")


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def same_text(text: str) -> str:
    """A key under which copies of one tweet (other case, spacing, punctuation) meet."""
    return "".join(char for char in text.lower() if char.isalnum())


def semeval(root: Path, *, held_out: set[str]) -> Iterator[Example]:
    """Training tweets only; any tweet also in TweetEval's validation or test set (keys in
    `held_out`) is left out, and each tweet is kept once."""
    seen = set(held_out)
    for path in _SEMEVAL_FILES:
        for line in _lines(read_file(root, SEMEVAL, path)):
            parts = line.split("\t")
            if len(parts) < 3 or parts[1] not in ("negative", "neutral", "positive"):
                continue
            text = _ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), parts[2]).strip()
            key = same_text(text)
            if not key or key in seen:
                continue
            seen.add(key)
            yield Example(SEMEVAL.key, TRAIN, "en", text, parts[1])


# The newest of them, SemEval-2016's test tweets: held out of training by time, they
# serve as validation where TweetEval's validation file (drawn from the same years as the
# training tweets) would reward remembering near-copies.
SEMEVAL_2016_TEST = "dataset/Subtask_A/downloaded/twitter-2016test-A.tsv"


def semeval_keys(root: Path, path: str) -> set[str]:
    """The `same_text` keys of one SemEval file's tweets."""
    keys = set()
    for line in _lines(read_file(root, SEMEVAL, path)):
        parts = line.split("\t")
        if len(parts) >= 3:
            text = _ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), parts[2]).strip()
            keys.add(same_text(text))
    return keys


def tweeteval(root: Path) -> Iterator[Example]:
    """Validation and test tweets (the training file is read from `SEMEVAL`)."""
    for split, name in _SPLIT_FILES.items():
        if split == TRAIN:
            continue
        texts = _lines(read_file(root, TWEETEVAL, f"datasets/sentiment/{name}_text.txt"))
        labels = _lines(read_file(root, TWEETEVAL, f"datasets/sentiment/{name}_labels.txt"))
        for text, label in zip(texts, labels, strict=True):
            yield Example(TWEETEVAL.key, split, "en", text, _SENTIMENT_NUMBERS[label.strip()])


def umsab(root: Path) -> Iterator[Example]:
    for folder, language in _UMSAB_LANGUAGES.items():
        for split, name in _SPLIT_FILES.items():
            base = f"data/sentiment/{folder}/{name}"
            texts = _lines(read_file(root, UMSAB, f"{base}_text.txt"))
            labels = _lines(read_file(root, UMSAB, f"{base}_labels.txt"))
            for text, label in zip(texts, labels, strict=True):
                yield Example(UMSAB.key, split, language, text, _SENTIMENT_NUMBERS[label.strip()])


def polemo(root: Path) -> Iterator[Example]:
    for line in _lines(read_file(root, POLEMO, "sentiment-medical-pl-utf.csv")):
        text, _, tag = line.rpartition(" __label__")
        label = _POLEMO_LABELS.get("__label__" + tag.strip())
        if not text.strip() or label is None:
            continue
        yield Example(POLEMO.key, split_of(text), "pl", text.strip(), label)


def complaints(root: Path) -> Iterator[Example]:
    rows = csv.reader(io.StringIO(read_file(root, COMPLAINTS, "complaints-data.csv")))
    for tweet_id, text, label, domain in rows:
        yield Example(
            COMPLAINTS.key,
            split_of(tweet_id),
            "en",
            text,
            "complaint" if label == "1" else "not",
            group=domain,
        )


def youtube_spam(root: Path) -> Iterator[Example]:
    for name in _YOUTUBE_FILES:
        rows = csv.DictReader(io.StringIO(read_file(root, YOUTUBE_SPAM, name)))
        for row in rows:
            yield Example(
                YOUTUBE_SPAM.key,
                split_of(row["COMMENT_ID"]),
                "en",
                row["CONTENT"],
                "spam" if row["CLASS"].strip() == "1" else "not",
                group=name.removesuffix(".csv"),
            )


def read_sources(root: Path, *, without: frozenset[str] = frozenset()) -> dict[str, list[Example]]:
    """Every example of every source not in `without`, by source key."""
    found: dict[str, list[Example]] = {}
    if TWEETEVAL.key not in without:
        found[TWEETEVAL.key] = list(tweeteval(root))
        held_out = {same_text(example.text) for example in found[TWEETEVAL.key]}
        found[SEMEVAL.key] = list(semeval(root, held_out=held_out))
    readers = {
        UMSAB.key: umsab,
        POLEMO.key: polemo,
        COMPLAINTS.key: complaints,
        YOUTUBE_SPAM.key: youtube_spam,
    }
    for key, reader in readers.items():
        if key not in without:
            found[key] = list(reader(root))
    return found


def addressed_to_company(example: Example) -> bool:
    """Whether a complaint-set tweet is one of the tweets written to a company's account."""
    return example.group not in ("random_tweet", "random_reply")
