"""Video with PyAV (FFmpeg): recognise, take a poster frame and transcode renditions.

`transcode()` decodes the original once and feeds every frame to one filter chain
and encoder per rendition size (crop around the focal point, Lanczos scale, H.264
in yuv420p), and every audio frame to one AAC encoder per rendition. Output is
MP4 with the index at the front, so playback can start before the download ends.
Nothing here touches the database or storage.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO

import av
import av.container
import av.filter
import av.stream
import pyvips
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from roost.core.errors import DomainError, message_of
from roost.media.imaging import PREVIEW_SIZE, focal_crop

VIDEO_CODEC = "libx264"
VIDEO_PRESET = "veryfast"
VIDEO_CRF = 23
AUDIO_CODEC = "aac"
AUDIO_RATE = 48_000
AUDIO_BIT_RATE = 128_000
DEFAULT_FRAME_RATE = Fraction(30)
MAX_FRAME_RATE = Fraction(60)

# ISO base media "ftyp" brands: QuickTime, and the MP4 family.
_MOV_BRANDS = frozenset({b"qt  "})
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso4",
        b"iso5",
        b"iso6",
        b"mp41",
        b"mp42",
        b"avc1",
        b"dash",
        b"M4V ",
        b"M4VP",
        b"MSNV",
    }
)
# Old QuickTime files start with an atom other than "ftyp".
_MOV_FIRST_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


class VideoFormat(enum.StrEnum):
    MP4 = "mp4"
    MOV = "mov"


MIME_TYPES = {VideoFormat.MP4: "video/mp4", VideoFormat.MOV: "video/quicktime"}


class VideoErrorCode(enum.StrEnum):
    """Why a video was refused or its transcode stopped."""

    UNREADABLE = "unreadable"
    NOT_MP4_OR_MOV = "not_mp4_or_mov"
    NO_VIDEO_TRACK = "no_video_track"
    UNDECODABLE = "undecodable"
    NO_FRAMES = "no_frames"
    DECODING_STOPPED = "decoding_stopped"


MESSAGES: dict[VideoErrorCode, str] = {
    VideoErrorCode.UNREADABLE: "the video cannot be read",
    VideoErrorCode.NOT_MP4_OR_MOV: "the content is not an MP4 or MOV container",
    VideoErrorCode.NO_VIDEO_TRACK: "the file has no video track",
    VideoErrorCode.UNDECODABLE: "the video track cannot be decoded",
    VideoErrorCode.NO_FRAMES: "the video track has no frames",
    VideoErrorCode.DECODING_STOPPED: "decoding stopped: {reason}",
}


class VideoError(DomainError):
    """The data is not a readable video of an accepted format, or a transcode failed."""

    code: VideoErrorCode

    def __init__(self, code: VideoErrorCode, **values: object) -> None:
        super().__init__(code, message_of(MESSAGES, code, **values))


def sniff(head: bytes) -> VideoFormat | None:
    """The accepted container these first bytes announce, if any (PyAV confirms)."""
    atom = head[4:8]
    if atom == b"ftyp":
        brand = head[8:12]
        if brand in _MOV_BRANDS:
            return VideoFormat.MOV
        if brand in _MP4_BRANDS:
            return VideoFormat.MP4
        return None
    if atom in _MOV_FIRST_ATOMS:
        return VideoFormat.MOV
    return None


@dataclass(frozen=True)
class VideoInfo:
    format: VideoFormat
    width: int  # as displayed, after any rotation the file asks for
    height: int
    duration_s: float
    has_audio: bool
    poster: bytes = field(repr=False)  # a JPEG of the first frame, at most PREVIEW_SIZE

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


def _rotation(frame: av.VideoFrame) -> int:
    """The file's display rotation, counter-clockwise, as one of 0, 90, 180, 270."""
    try:
        degrees = round(frame.rotation)
    except (AttributeError, TypeError, ValueError):
        return 0
    return degrees % 360 if degrees % 90 == 0 else 0


def _rotate_filters(rotation: int) -> list[tuple[str, str]]:
    # The display matrix turns the picture counter-clockwise by `rotation` degrees.
    if rotation == 90:
        return [("transpose", "cclock")]
    if rotation == 270:
        return [("transpose", "clock")]
    if rotation == 180:
        return [("hflip", ""), ("vflip", "")]
    return []


def _displayed(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation in (90, 270) else (width, height)


def _duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _poster(frame: av.VideoFrame, rotation: int) -> bytes:
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    row = plane.line_size
    image = pyvips.Image.new_from_memory(bytes(plane), row // 3, rgb.height, 3, "uchar")
    image = image.crop(0, 0, rgb.width, rgb.height)
    if rotation == 90:
        image = image.rot270()
    elif rotation == 270:
        image = image.rot90()
    elif rotation == 180:
        image = image.rot180()
    image = image.thumbnail_image(PREVIEW_SIZE, height=PREVIEW_SIZE, size="down")
    return bytes(image.jpegsave_buffer(Q=80, keep="none"))


def probe(source: str | Path | IO[bytes], *, video_format: VideoFormat) -> VideoInfo:
    """Open the container, find its video, decode the first frame. Raises `VideoError`."""
    try:
        container = av.open(str(source) if isinstance(source, Path) else source, mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(VideoErrorCode.UNREADABLE) from exc
    try:
        if "mp4" not in container.format.name and "mov" not in container.format.name:
            raise VideoError(VideoErrorCode.NOT_MP4_OR_MOV)
        if not container.streams.video:
            raise VideoError(VideoErrorCode.NO_VIDEO_TRACK)
        stream = container.streams.video[0]
        try:
            frame = next(container.decode(stream), None)
        except av.FFmpegError as exc:
            raise VideoError(VideoErrorCode.UNDECODABLE) from exc
        if frame is None:
            raise VideoError(VideoErrorCode.NO_FRAMES)
        rotation = _rotation(frame)
        width, height = _displayed(frame.width, frame.height, rotation)
        return VideoInfo(
            format=video_format,
            width=width,
            height=height,
            duration_s=round(_duration(container, stream), 3),
            has_audio=bool(container.streams.audio),
            poster=_poster(frame, rotation),
        )
    finally:
        container.close()


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """H.264 in 4:2:0 needs even sides: an odd side loses one pixel."""
    width, height = size
    return width - width % 2, height - height % 2


@dataclass
class _Output:
    size: tuple[int, int]
    path: Path
    container: av.container.OutputContainer
    video: VideoStream
    audio: AudioStream | None = None
    resampler: av.AudioResampler | None = None
    graph: av.filter.Graph | None = None
    frames: int = 0
    error: str = ""


@dataclass(frozen=True)
class Transcoded:
    path: Path | None
    error: str = ""


def _open_output(size: tuple[int, int], path: Path, rate: Fraction, with_audio: bool) -> _Output:
    container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
    video = container.add_stream(
        VIDEO_CODEC, rate=rate, options={"preset": VIDEO_PRESET, "crf": str(VIDEO_CRF)}
    )
    assert isinstance(video, VideoStream)
    video.width, video.height = size
    video.pix_fmt = "yuv420p"
    video.codec_context.time_base = Fraction(1) / rate
    output = _Output(size=size, path=path, container=container, video=video)
    if with_audio:
        audio = container.add_stream(AUDIO_CODEC, rate=AUDIO_RATE)
        assert isinstance(audio, AudioStream)
        audio.layout = "stereo"
        audio.bit_rate = AUDIO_BIT_RATE
        output.audio = audio
        output.resampler = av.AudioResampler(
            format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=1024
        )
    return output


def _graph(
    stream: VideoStream,
    frame: av.VideoFrame,
    size: tuple[int, int],
    *,
    rate: Fraction,
    focal_x: float,
    focal_y: float,
) -> av.filter.Graph:
    rotation = _rotation(frame)
    width, height = _displayed(frame.width, frame.height, rotation)
    box = focal_crop(width, height, target=size, focal_x=focal_x, focal_y=focal_y)
    graph = av.filter.Graph()
    chain = [graph.add_buffer(template=stream)]
    steps = [
        *_rotate_filters(rotation),
        ("fps", str(rate)),  # constant frame rate: duplicates or drops to match `rate`
        ("crop", f"{box.width}:{box.height}:{box.left}:{box.top}"),
        ("scale", f"{size[0]}:{size[1]}:flags=lanczos"),
        ("setsar", "1"),
        ("format", "yuv420p"),
    ]
    for name, arguments in steps:
        chain.append(graph.add(name, arguments) if arguments else graph.add(name))
    chain.append(graph.add("buffersink"))
    for upstream, downstream in itertools.pairwise(chain):
        upstream.link_to(downstream)
    graph.configure()
    return graph


def _mux_video(output: _Output, frame: av.VideoFrame | None) -> None:
    for packet in output.video.encode(frame):
        output.container.mux(packet)


def _mux_audio(output: _Output, frame: av.AudioFrame | None) -> None:
    assert output.resampler is not None and output.audio is not None
    for resampled in output.resampler.resample(frame):
        for packet in output.audio.encode(resampled):
            output.container.mux(packet)
    if frame is None:
        for packet in output.audio.encode(None):
            output.container.mux(packet)


def transcode(
    source: str | Path,
    sizes: Iterable[tuple[int, int]],
    *,
    workdir: Path,
    focal_x: float = 0.5,
    focal_y: float = 0.5,
) -> dict[tuple[int, int], Transcoded]:
    """H.264/AAC MP4 files in `workdir`, one per size (made even), from one decode.

    A size whose encoder fails is reported with its error; the others carry on.
    Raises `VideoError` when the source itself cannot be read.
    """
    unique = list(dict.fromkeys(even_size(size) for size in sizes))
    try:
        container = av.open(str(source), mode="r")
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(VideoErrorCode.UNREADABLE) from exc
    outputs: list[_Output] = []
    try:
        if not container.streams.video:
            raise VideoError(VideoErrorCode.NO_VIDEO_TRACK)
        video_in = container.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = container.streams.audio[0] if container.streams.audio else None
        rate = video_in.average_rate or video_in.guessed_rate or DEFAULT_FRAME_RATE
        rate = min(Fraction(rate).limit_denominator(1001), MAX_FRAME_RATE)
        outputs = [
            _open_output(
                size, workdir / f"{size[0]}x{size[1]}.mp4", rate, with_audio=audio_in is not None
            )
            for size in unique
        ]
        streams = [video_in] + ([audio_in] if audio_in is not None else [])
        try:
            for frame in container.decode(*streams):
                for output in outputs:
                    if output.error:
                        continue
                    try:
                        if isinstance(frame, av.VideoFrame):
                            _feed_video(output, video_in, frame, rate, focal_x, focal_y)
                        elif isinstance(frame, av.AudioFrame):
                            _mux_audio(output, frame)
                    except (av.FFmpegError, ValueError) as exc:
                        output.error = f"encoding failed: {exc}"
        except av.FFmpegError as exc:
            raise VideoError(VideoErrorCode.DECODING_STOPPED, reason=exc) from exc
        for output in outputs:
            if output.error:
                continue
            try:
                if output.graph is not None:
                    output.graph.push(None)
                    _drain(output)
                _mux_video(output, None)
                if output.audio is not None:
                    _mux_audio(output, None)
                if output.frames == 0:
                    output.error = "the video track has no frames"
            except (av.FFmpegError, ValueError) as exc:
                output.error = f"encoding failed: {exc}"
    finally:
        for output in outputs:
            try:
                output.container.close()
            except (av.FFmpegError, ValueError) as exc:
                output.error = output.error or f"writing failed: {exc}"
        container.close()
    return {
        output.size: Transcoded(
            path=None if output.error else output.path, error=output.error[:500]
        )
        for output in outputs
    }


def _feed_video(
    output: _Output,
    stream: VideoStream,
    frame: av.VideoFrame,
    rate: Fraction,
    focal_x: float,
    focal_y: float,
) -> None:
    if output.graph is None:
        output.graph = _graph(
            stream, frame, output.size, rate=rate, focal_x=focal_x, focal_y=focal_y
        )
    output.graph.push(frame)
    _drain(output)


def _drain(output: _Output) -> None:
    assert output.graph is not None
    while True:
        try:
            shaped = output.graph.pull()
        except (av.BlockingIOError, av.EOFError):
            break
        assert isinstance(shaped, av.VideoFrame)
        # Constant frame rate: the n-th frame shows at n / rate.
        shaped.pts = output.frames
        shaped.time_base = output.video.codec_context.time_base
        output.frames += 1
        _mux_video(output, shaped)
