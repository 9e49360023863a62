"""Media made on the spot: JPEGs and other images with pyvips, short clips with PyAV."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import av
import pytest
import pyvips
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

BLUE = [30, 60, 200]
RED = [230, 20, 20]


def make_image(
    width: int = 1600,
    height: int = 900,
    *,
    red_box: tuple[int, int, int, int] | None = None,
    suffix: str = ".jpg",
    alpha: bool = False,
    **save_options: Any,
) -> bytes:
    """A blue picture with gentle noise, optionally with a red box (left, top, width, height)."""
    noise = pyvips.Image.gaussnoise(width, height, sigma=4, mean=0)
    image = (pyvips.Image.black(width, height, bands=3) + BLUE + noise).cast("uchar")
    image = image.copy(interpretation="srgb")
    if red_box is not None:
        image = image.draw_rect(RED, *red_box, fill=True)
    if alpha:
        image = image.bandjoin(255)
    return bytes(image.write_to_buffer(suffix, **save_options))


def as_upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def make_clip(
    *,
    width: int = 320,
    height: int = 240,
    seconds: float = 1.0,
    fps: int = 10,
    audio: bool = True,
    video: bool = True,
    container_format: str = "mp4",
    rotation: int | None = None,
) -> bytes:
    """A short H.264 (+ AAC) clip: blue frames with a red bar along the right edge."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as out:
        video_stream = None
        if video:
            video_stream = out.add_stream("libx264", rate=fps)
            video_stream.width, video_stream.height = width, height
            video_stream.pix_fmt = "yuv420p"
            if rotation is not None:
                video_stream.set_display_rotation(rotation)
        audio_stream = out.add_stream("aac", rate=44_100) if audio else None
        if audio_stream is not None:
            audio_stream.layout = "mono"
        if video_stream is not None:
            for index in range(int(seconds * fps)):
                picture = Image.new("RGB", (width, height), tuple(BLUE))
                draw = ImageDraw.Draw(picture)
                draw.rectangle([width - width // 8, 0, width - 1, height - 1], fill=tuple(RED))
                draw.text((10, 10), str(index), fill=(255, 255, 255))
                frame = av.VideoFrame.from_image(picture)
                frame.pts = index
                for packet in video_stream.encode(frame):
                    out.mux(packet)
            for packet in video_stream.encode(None):
                out.mux(packet)
        if audio_stream is not None:
            rate, done = 44_100, 0
            while done < rate * seconds:
                samples = 1024
                frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
                frame.planes[0].update(
                    b"".join(
                        int(6000 * math.sin(2 * math.pi * 440 * (done + n) / rate)).to_bytes(
                            2, "little", signed=True
                        )
                        for n in range(samples)
                    )
                )
                frame.sample_rate, frame.pts = rate, done
                done += samples
                for packet in audio_stream.encode(frame):
                    out.mux(packet)
            for packet in audio_stream.encode(None):
                out.mux(packet)
    return buffer.getvalue()


def stored_files() -> list[str]:
    """Every file name in the test storage (in memory), walked from the top."""
    names: list[str] = []

    def walk(folder: str) -> None:
        try:
            folders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        names.extend(f"{folder}/{name}".lstrip("/") for name in files)
        for sub in folders:
            walk(f"{folder}/{sub}".lstrip("/"))

    walk("")
    return names


@pytest.fixture(autouse=True)
def _empty_storage() -> None:
    """Each test starts with an empty in-memory storage."""
    for name in stored_files():
        default_storage.delete(name)


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    return make_image
