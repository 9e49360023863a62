"""A transformer model from a folder on this machine, run with ONNX Runtime on the CPU.

The folder holds (docs/classification-backends.md has the details):

- `model.onnx`: inputs `input_ids` and `attention_mask` (int64, batch x tokens; and
  `token_type_ids` if the graph asks for it), one output of logits (batch x labels) per
  task, named after the task (`sentiment`, `intent`); a model with a single task may
  name its output `logits`;
- `tokenizer.json`: the tokenizer, in the format of the `tokenizers` library;
- `labels.json`: `{"sentiment": [...], "intent": [...]}`, each task's labels in the order
  of its logits, each a Roost label (`negative`, `complaint`, ...); optional
  `"max_tokens"` (default 128).

A task the model does not cover keeps the built-in answer. The libraries are the
`transformer` extra (`pip install 'roost[transformer]'`); without them, or when the
folder does not load, every message keeps the built-in answer and the reason is shown.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roost.inbox.classify import Intent, Sentiment
from roost.inbox.classify_backends.interface import (
    ClassifierInput,
    Labelled,
    builtin_classify,
    relabelled,
)

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
DEFAULT_MAX_TOKENS = 128
TASKS: dict[str, type[Sentiment] | type[Intent]] = {"sentiment": Sentiment, "intent": Intent}
EXTRA_MISSING = (
    "the transformer backend needs the 'transformer' extra "
    "(pip install 'roost[transformer]'): {missing} is not installed"
)


class ModelUnavailable(Exception):
    """The folder does not hold a model this backend can run; the message says why."""


@dataclass(frozen=True)
class LoadedModel:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    labels: dict[str, list[str]]  # task -> labels, in the order of its logits
    outputs: dict[str, str]  # task -> the model output that holds its logits
    inputs: frozenset[str]


def _libraries() -> tuple[Any, Any, Any]:
    try:
        import numpy
        import onnxruntime
        import tokenizers
    except ImportError as error:
        raise ModelUnavailable(EXTRA_MISSING.format(missing=error.name or "a library")) from None
    return numpy, onnxruntime, tokenizers


def _labels(folder: Path) -> tuple[dict[str, list[str]], int]:
    try:
        raw = json.loads((folder / LABELS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"{LABELS_FILE} does not read: {error}") from None
    if not isinstance(raw, dict):
        raise ModelUnavailable(f"{LABELS_FILE} must hold an object of task: [labels]")
    labels: dict[str, list[str]] = {}
    for task, kind in TASKS.items():
        names = raw.get(task)
        if names is None:
            continue
        allowed = {label.value for label in kind}
        if not isinstance(names, list) or not names or not set(names) <= allowed:
            raise ModelUnavailable(
                f"{LABELS_FILE}: {task} must list labels among {', '.join(sorted(allowed))}"
            )
        labels[task] = [str(name) for name in names]
    if not labels:
        raise ModelUnavailable(f"{LABELS_FILE} names no task (sentiment, intent)")
    max_tokens = raw.get("max_tokens", DEFAULT_MAX_TOKENS)
    if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 4096:
        raise ModelUnavailable(f"{LABELS_FILE}: max_tokens must be a whole number, 1 to 4096")
    return labels, max_tokens


@functools.lru_cache(maxsize=4)
def _load(path: str, stamp: float) -> LoadedModel:
    """The model in `path`, loaded once per change of its files (`stamp`)."""
    _, onnxruntime, tokenizers = _libraries()
    folder = Path(path)
    labels, max_tokens = _labels(folder)
    try:
        tokenizer = tokenizers.Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    except Exception as error:  # the library raises its own exception types
        raise ModelUnavailable(f"{TOKENIZER_FILE} does not load: {error}") from None
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding()
    try:
        session = onnxruntime.InferenceSession(
            str(folder / MODEL_FILE), providers=["CPUExecutionProvider"]
        )
    except Exception as error:
        raise ModelUnavailable(f"{MODEL_FILE} does not load: {error}") from None
    names = {output.name for output in session.get_outputs()}
    outputs = {task: task for task in labels if task in names}
    if not outputs and len(labels) == 1 and "logits" in names:
        outputs = {next(iter(labels)): "logits"}
    missing = sorted(set(labels) - set(outputs))
    if missing:
        has = ", ".join(sorted(names))
        raise ModelUnavailable(f"{MODEL_FILE} has no output named {', '.join(missing)} ({has})")
    inputs = frozenset(node.name for node in session.get_inputs())
    if not {"input_ids", "attention_mask"} <= inputs:
        raise ModelUnavailable(f"{MODEL_FILE} must take input_ids and attention_mask")
    return LoadedModel(session, tokenizer, labels, outputs, inputs)


def model_load(path: str) -> LoadedModel:
    """The model in the folder `path`, or `ModelUnavailable` saying why not."""
    _libraries()  # before the cache: the extra may be gone since the model loaded
    folder = Path(path)
    if not path or not folder.is_absolute():
        raise ModelUnavailable("the model folder must be an absolute path")
    try:
        stamp = max(
            os.stat(folder / name).st_mtime for name in (MODEL_FILE, TOKENIZER_FILE, LABELS_FILE)
        )
    except OSError as error:
        raise ModelUnavailable(
            f"the model folder is incomplete: {error.strerror}: {error.filename}"
        ) from None
    return _load(str(folder), stamp)


def _softmax(numpy: Any, logits: Any) -> Any:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = numpy.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class TransformerBackend:
    name = "transformer"

    def __init__(self, *, path: str) -> None:
        self.path = path

    def classify_many(self, items: Sequence[ClassifierInput]) -> Labelled:
        base = [builtin_classify(item) for item in items]
        if not items:
            return Labelled(results=base)
        try:
            model = model_load(self.path)
            numpy = _libraries()[0]
            encoded = model.tokenizer.encode_batch([item.text for item in items])
            feeds = {
                "input_ids": numpy.array([e.ids for e in encoded], dtype=numpy.int64),
                "attention_mask": numpy.array(
                    [e.attention_mask for e in encoded], dtype=numpy.int64
                ),
            }
            if "token_type_ids" in model.inputs:
                feeds["token_type_ids"] = numpy.array(
                    [e.type_ids for e in encoded], dtype=numpy.int64
                )
            wanted = list(model.outputs.values())
            answers = dict(zip(wanted, model.session.run(wanted, feeds), strict=True))
        except ModelUnavailable as error:
            return Labelled(results=base, fallback_reasons=[str(error)] * len(items))
        except Exception as error:  # a run that fails must not lose the batch
            reason = f"the model failed to run: {type(error).__name__}"
            return Labelled(results=base, fallback_reasons=[reason] * len(items))
        probabilities = {
            task: _softmax(numpy, numpy.asarray(answers[output], dtype=numpy.float64))
            for task, output in model.outputs.items()
        }
        results = []
        for row, (item, found) in enumerate(zip(items, base, strict=True)):
            scores = {
                task: {
                    label: float(p) for label, p in zip(model.labels[task], probs[row], strict=True)
                }
                for task, probs in probabilities.items()
            }
            sentiment = scores.get("sentiment")
            intent = scores.get("intent")
            results.append(
                relabelled(
                    found,
                    item=item,
                    sentiment=Sentiment(max(sentiment, key=sentiment.__getitem__))
                    if sentiment
                    else found.sentiment,
                    intent=Intent(max(intent, key=intent.__getitem__)) if intent else found.intent,
                    sentiment_scores=sentiment,
                    intent_scores=intent,
                )
            )
        return Labelled(results=results)
