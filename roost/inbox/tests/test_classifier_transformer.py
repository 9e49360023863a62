"""The transformer backend on a tiny model this test builds: an ONNX graph (a bag of
word vectors per task) and a word-level tokenizer, written into a folder laid out as
docs/classification-backends.md says."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from roost.inbox.classify import Intent, Sentiment, classify
from roost.inbox.classify_backends import ClassifierInput
from roost.inbox.classify_backends.transformer import TransformerBackend

VOCAB = ["[PAD]", "[UNK]", "love", "great", "broken", "refund", "buy", "followers", "cheap"]
SENTIMENTS = ["negative", "neutral", "positive"]
INTENTS = ["complaint", "question", "praise", "spam", "other"]
# Per word: logits it adds to each label (the unknown word and padding add nothing).
SENTIMENT_WEIGHTS = {
    "love": [0, 0, 4], "great": [0, 0, 3], "broken": [4, 0, 0], "refund": [2, 0, 0],
    "buy": [0, 2, 0], "followers": [0, 2, 0], "cheap": [0, 1, 0],
}  # fmt: skip
INTENT_WEIGHTS = {
    "love": [0, 0, 4, 0, 0], "great": [0, 0, 3, 0, 0], "broken": [4, 0, 0, 0, 0],
    "refund": [3, 0, 0, 0, 0], "buy": [0, 0, 0, 4, 0], "followers": [0, 0, 0, 4, 0],
    "cheap": [0, 0, 0, 3, 0],
}  # fmt: skip


def _table(weights: dict[str, list[int]], width: int) -> np.ndarray:
    return np.array([weights.get(word, [0] * width) for word in VOCAB], dtype=np.float32)


def _head(task: str, table: np.ndarray) -> list[onnx.NodeProto]:
    """logits = sum over tokens of (mask * table[token])."""
    return [
        helper.make_node("Gather", [f"{task}_table", "input_ids"], [f"{task}_vectors"]),
        helper.make_node("Mul", [f"{task}_vectors", "mask3"], [f"{task}_masked"]),
        helper.make_node("ReduceSum", [f"{task}_masked", "axis1"], [task], keepdims=0),
    ]


def build_model(folder: Path, *, tasks: tuple[str, ...] = ("sentiment", "intent")) -> Path:
    tables = {
        "sentiment": _table(SENTIMENT_WEIGHTS, 3),
        "intent": _table(INTENT_WEIGHTS, 5),
    }
    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
    ]
    initializers = [
        helper.make_tensor("axis1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("axis2", TensorProto.INT64, [1], [2]),
    ]
    outputs = []
    for task in tasks:
        table = tables[task]
        nodes += _head(task, table)
        initializers.append(
            helper.make_tensor(f"{task}_table", TensorProto.FLOAT, table.shape, table.flatten())
        )
        outputs.append(
            helper.make_tensor_value_info(task, TensorProto.FLOAT, ["batch", table.shape[1]])
        )
    graph = helper.make_graph(
        nodes,
        "tiny-classifier",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        outputs,
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / "model.onnx")
    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    labels = {"sentiment": SENTIMENTS, "intent": INTENTS}
    (folder / "labels.json").write_text(json.dumps({t: labels[t] for t in tasks}))
    return folder


def test_a_tiny_transformer_labels_sentiment_and_intent(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "model")
    texts = ["love it great", "broken again refund", "buy cheap followers"]
    labelled = TransformerBackend(path=str(folder)).classify_many(
        [ClassifierInput(text) for text in texts]
    )

    assert labelled.fallback_reasons == []
    got = [(r.sentiment, r.intent) for r in labelled.results]
    assert got == [
        (Sentiment.POSITIVE, Intent.PRAISE),
        (Sentiment.NEGATIVE, Intent.COMPLAINT),
        (Sentiment.NEUTRAL, Intent.SPAM),
    ]
    # The probabilities are the tiny model's own: the softmax of the logits its words add
    # ("love" 4 + "great" 3 for positive), not the built-in classifier's.
    positive = math.exp(7) / (math.exp(7) + 2)
    assert labelled.results[0].sentiment_scores["positive"] == pytest.approx(positive, rel=1e-6)
    assert labelled.results[0].sentiment_scores != classify(texts[0]).sentiment_scores
    # The language still comes from the built-in classifier.
    assert [r.language for r in labelled.results] == [classify(t).language for t in texts]


def test_a_task_the_model_lacks_keeps_the_built_in_answer(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "model", tasks=("sentiment",))
    text = "buy cheap followers"
    found = TransformerBackend(path=str(folder)).classify_many([ClassifierInput(text)])

    assert found.results[0].sentiment is Sentiment.NEUTRAL
    assert found.results[0].intent is classify(text).intent


def test_an_incomplete_folder_falls_back_and_says_why(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "model")
    (folder / "tokenizer.json").unlink()
    labelled = TransformerBackend(path=str(folder)).classify_many([ClassifierInput("love it")])

    assert labelled.results == [classify("love it")]
    assert "incomplete" in labelled.fallback_reasons[0]
    assert "tokenizer.json" in labelled.fallback_reasons[0]


def test_labels_that_are_not_roosts_are_refused(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "model")
    (folder / "labels.json").write_text(json.dumps({"sentiment": ["bad", "meh", "good"]}))
    labelled = TransformerBackend(path=str(folder)).classify_many([ClassifierInput("love it")])

    assert labelled.results == [classify("love it")]
    assert "labels.json: sentiment must list labels among" in labelled.fallback_reasons[0]


def test_without_the_extra_the_backend_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = build_model(tmp_path / "model")
    backend = TransformerBackend(path=str(folder))
    assert backend.classify_many([ClassifierInput("love it")]).fallback_reasons == []
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    labelled = backend.classify_many([ClassifierInput("love it")])

    assert labelled.results == [classify("love it")]
    assert "pip install 'roost[transformer]'" in labelled.fallback_reasons[0]
    assert "onnxruntime is not installed" in labelled.fallback_reasons[0]
