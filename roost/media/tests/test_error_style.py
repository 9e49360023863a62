"""Image and video errors follow the one style of domain errors: a `DomainError` whose
code is a member of the domain's StrEnum, its message from the domain's table."""

from __future__ import annotations

import enum
from typing import Any

import pytest

from roost.core.errors import DomainError
from roost.media import imaging, video


@pytest.mark.parametrize(
    ("module", "codes"),
    [(imaging, imaging.ImageErrorCode), (video, video.VideoErrorCode)],
    ids=["image", "video"],
)
def test_every_code_has_its_message_in_the_table(module: Any, codes: type[enum.StrEnum]) -> None:
    assert issubclass(codes, enum.StrEnum)
    assert set(module.MESSAGES) == set(codes)


def test_an_image_that_is_none_says_so_by_code_and_in_words() -> None:
    with pytest.raises(imaging.ImageError) as raised:
        imaging.probe(b"plain text, not an image")
    assert isinstance(raised.value, DomainError)
    assert raised.value.code is imaging.ImageErrorCode.NOT_ACCEPTED
    assert str(raised.value) == raised.value.message == "not a JPEG, PNG, WebP or GIF image"


def test_a_video_that_cannot_be_read_says_so_by_code_and_in_words(tmp_path: Any) -> None:
    garbage = tmp_path / "clip.mp4"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(video.VideoError) as raised:
        video.probe(garbage, video_format=video.VideoFormat.MP4)
    assert isinstance(raised.value, DomainError)
    assert raised.value.code in {
        video.VideoErrorCode.UNREADABLE,
        video.VideoErrorCode.NOT_MP4_OR_MOV,
    }
    assert raised.value.message == video.MESSAGES[raised.value.code]
