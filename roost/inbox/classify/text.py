"""Turn a social-media message into what the classifier reads.

`clean(text)` takes out links, @mentions, #hashtags, emoji and emoticons (keeping each
kind aside), so language detection sees only the words. `tokenize()` splits the cleaned
text into folded words and punctuation marks; `fold()` is the one normalisation every
word list and every token goes through: lower case, no diacritics, no apostrophes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TLDS = (
    "com|net|org|io|ly|co|pl|de|es|fr|eu|uk|info|biz|xyz|me|app|link|shop|site|online"
    "|store|top|gg|tv|cc|click|live|club|vip"
)
_URL = re.compile(
    rf"(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/\S*)?", re.IGNORECASE
)
# Cheap tests that rule out most messages before the full patterns run.
_URL_HINT = re.compile(rf"://|www\.|\.(?:{_TLDS})\b", re.IGNORECASE)
_EMOTICON_HINT = re.compile(r"[:;=<^]|xd|t_t", re.IGNORECASE)
# Mastodon (@user@server), Bluesky (@name.bsky.social) and plain @handles.
_MENTION = re.compile(r"(?<![\w@])@\w+(?:[.-]\w+)*(?:@\w+(?:[.-]\w+)*)?")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_EMOJI = re.compile(
    "["
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u25fe"
    "\u2600-\u27bf\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
    "\ufe0f\u200d\u20e3\U000e0020-\U000e007f"
    "]"
)
# Modifiers that belong to an emoji but carry no meaning of their own here.
_EMOJI_MODIFIERS = frozenset(
    "\ufe0f\u200d\u20e3" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
) | frozenset(chr(c) for c in range(0xE0020, 0xE0080))
_EMOTICON = re.compile(
    r"(?<![\w:;=<>^])(?:>?[:;=]['’]?-?(?:\)+|\(+|d+|p+|/+|\|+)|<3+|x-?d+|\^_?\^|t_t)(?!\w)",
    re.IGNORECASE,
)
_EMOTICON_REPEAT = re.compile(r"(.)\1+$")
_SPACES = re.compile(r"\s+")

# Token as written -> (folded, lower case, shouted). Bounded like the other memos.
_TOKEN_MEMO: dict[str, tuple[str, str, bool]] = {}
_MEMO_LIMIT = 200_000
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[.!?;]+|,")
_WORD = re.compile(r"[^\W\d_]+")

_FOLD = str.maketrans(
    {
        "ą": "a",
        "ć": "c",
        "ę": "e",
        "ł": "l",
        "ń": "n",
        "ó": "o",
        "ś": "s",
        "ź": "z",
        "ż": "z",
        # German the way Germans type without umlauts, so "schön" does not become "schon".
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "á": "a",
        "é": "e",
        "í": "i",
        "ú": "u",
        "ñ": "n",
        "à": "a",
        "â": "a",
        "ç": "c",
        "è": "e",
        "ê": "e",
        "ë": "e",
        "î": "i",
        "ï": "i",
        "ô": "o",
        "û": "u",
        "ù": "u",
        "ÿ": "y",
        "œ": "oe",
        "'": None,
        "’": None,
    }
)


def fold(word: str) -> str:
    """Lower case, diacritics replaced ("dziękuję" -> "dziekuje"), apostrophes dropped."""
    return word.lower().translate(_FOLD)


@dataclass(frozen=True, slots=True)
class CleanText:
    """A message with its links, mentions, hashtags, emoji and emoticons taken out.

    `text` keeps the original letters and punctuation; the rest keep what was removed, in
    order. Emoji are single code points without modifiers (skin tones, variation
    selectors); emoticons are in canonical form (":-)))" -> ":)", "XDD" -> "xd").
    """

    text: str
    urls: tuple[str, ...]
    mentions: tuple[str, ...]
    hashtags: tuple[str, ...]
    emoji: tuple[str, ...]

    def words(self) -> list[str]:
        """The lower-case words of the text, split at anything that is not a letter."""
        return _WORD.findall(self.text.lower())


def _emoticon_key(found: str) -> str:
    key = found.lower().replace("-", "").replace("’", "'")
    if key in ("^^", "^_^", "t_t"):
        return key
    return _EMOTICON_REPEAT.sub(r"\1", key)


def clean(text: str) -> CleanText:
    """Split a message into its words and the links, mentions, tags and emoji around them."""
    urls: tuple[str, ...] = ()
    if _URL_HINT.search(text):
        urls = tuple(_URL.findall(text))
        text = _URL.sub(" ", text)
    mentions: tuple[str, ...] = ()
    if "@" in text:
        mentions = tuple(_MENTION.findall(text))
        text = _MENTION.sub(" ", text)
    hashtags: tuple[str, ...] = ()
    if "#" in text:
        hashtags = tuple(_HASHTAG.findall(text))
        text = _HASHTAG.sub(" ", text)
    emoji: list[str] = []
    if _EMOJI.search(text):
        emoji = [c for c in _EMOJI.findall(text) if c not in _EMOJI_MODIFIERS]
        text = _EMOJI.sub(" ", text)
    if _EMOTICON_HINT.search(text):
        emoticons = _EMOTICON.findall(text)
        if emoticons:
            emoji.extend(_emoticon_key(found) for found in emoticons)
            text = _EMOTICON.sub(" ", text)
    return CleanText(
        text=_SPACES.sub(" ", text).strip(),
        urls=urls,
        mentions=mentions,
        hashtags=hashtags,
        emoji=tuple(emoji),
    )


def is_mark(token: str) -> bool:
    """Whether a token from `tokenize()` is punctuation rather than a word."""
    return not token[0].isalpha()


@dataclass(frozen=True, slots=True)
class Tokens:
    """Folded words and punctuation marks (".", "!?", ","), the same tokens in lower case
    as written (for showing people what matched), and which words were shouted."""

    words: tuple[str, ...]
    written: tuple[str, ...]
    shouted: frozenset[int]
    has_question_mark: bool
    exclamations: int


def tokenize(cleaned: CleanText, *, split_apostrophes: bool = False) -> Tokens:
    """Words and punctuation of a cleaned message, hashtag words last as a sentence of
    their own ("#NeverAgain" reads as "never again").

    French joins words with apostrophes ("n'est", "j'adore"), so `split_apostrophes`
    makes them two words; elsewhere the apostrophe is dropped ("don't" -> "dont").
    """
    text = cleaned.text
    if cleaned.hashtags:
        tags = " ".join(_CAMEL.sub(" ", tag) for tag in cleaned.hashtags)
        text = f"{text} . {tags}"
    if split_apostrophes:
        text = text.replace("'", " ").replace("’", " ")
    words: list[str] = []
    written: list[str] = []
    shouted: set[int] = set()
    memo = _TOKEN_MEMO
    for index, token in enumerate(_TOKEN.findall(text)):
        known = memo.get(token)
        if known is None:
            if token[0].isalpha():
                known = (fold(token), token.lower(), len(token) >= 3 and token.isupper())
            else:
                known = (token, token, False)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[token] = known
        words.append(known[0])
        written.append(known[1])
        if known[2]:
            shouted.add(index)
    return Tokens(
        words=tuple(words),
        written=tuple(written),
        shouted=frozenset(shouted),
        has_question_mark="?" in text,
        exclamations=text.count("!"),
    )


def clear_memo() -> None:
    """Forget the token memo (for measuring speed from a cold start)."""
    _TOKEN_MEMO.clear()
