"""Still images with libvips: recognise, preview and cut into renditions.

Renditions are made from one decode of the original: `decode_for()` loads it once,
already shrunk (JPEG shrink-on-load, then one Lanczos reduction) to the largest
size any of the requested renditions needs, and keeps those pixels in memory;
`encode()` then crops each rendition around the focal point, resizes it to its exact
size and encodes a JPEG. Nothing here touches the database or storage.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyvips

from roost.core.errors import DomainError, message_of

# Loaders that are not safe on untrusted input (ImageMagick and friends) stay off.
pyvips.block_untrusted_set(True)
# Every upload is decoded once, so libvips' operation cache could only hold memory (and
# images of buffers that are gone) in a long-running worker.
pyvips.cache_set_max(0)
# libvips reports every pipeline at INFO level; only its warnings deserve a log line.
logging.getLogger("pyvips").setLevel(logging.WARNING)

JPEG_QUALITY = 85
ENCODE_WORKERS = min(4, os.cpu_count() or 1)
PREVIEW_SIZE = 640
# Below this scale the shared decode is reduced before renditions are cut from it;
# above it the extra pass costs more than it saves (measured with bench/renditions.py).
_REDUCE_BELOW = 0.8
_EXIF_SWAPS_SIDES = frozenset({5, 6, 7, 8})


class ImageFormat(enum.StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"


MIME_TYPES = {
    ImageFormat.JPEG: "image/jpeg",
    ImageFormat.PNG: "image/png",
    ImageFormat.WEBP: "image/webp",
    ImageFormat.GIF: "image/gif",
}
_LOADERS = {
    ImageFormat.JPEG: "jpegload_buffer",
    ImageFormat.PNG: "pngload_buffer",
    ImageFormat.WEBP: "webpload_buffer",
    ImageFormat.GIF: "gifload_buffer",
}


class ImageErrorCode(enum.StrEnum):
    """Why an image was refused or could not be cut."""

    NOT_ACCEPTED = "not_accepted"
    HEADER_UNREADABLE = "header_unreadable"
    SIGNATURE_MISMATCH = "signature_mismatch"
    DAMAGED = "damaged"
    ENCODING_FAILED = "encoding_failed"


MESSAGES: dict[ImageErrorCode, str] = {
    ImageErrorCode.NOT_ACCEPTED: "not a JPEG, PNG, WebP or GIF image",
    ImageErrorCode.HEADER_UNREADABLE: "the {image_format} header cannot be read",
    ImageErrorCode.SIGNATURE_MISMATCH: "the content does not match its signature",
    ImageErrorCode.DAMAGED: "the image is damaged or incomplete",
    ImageErrorCode.ENCODING_FAILED: "encoding {width}×{height} failed: {reason}",
}


class ImageError(DomainError):
    """The data is not a readable image of an accepted format, or a size failed to encode."""

    code: ImageErrorCode

    def __init__(self, code: ImageErrorCode, **values: object) -> None:
        super().__init__(code, message_of(MESSAGES, code, **values))


def sniff(head: bytes) -> ImageFormat | None:
    """The accepted image format these first bytes announce, if any (the loader confirms)."""
    if head.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ImageFormat.GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ImageFormat.WEBP
    return None


def other_image_kind(head: bytes) -> str | None:
    """The name of an image format Roost does not accept, for a clear refusal."""
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:2] == b"BM":
        return "BMP"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "HEIC"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF"
    if head[:12] == b"\x00\x00\x00\x0cJXL \r\n" or head[:2] == b"\xff\x0a":
        return "JPEG XL"
    text = head[:256].lstrip().lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return "SVG"
    return None


@dataclass(frozen=True)
class ImageInfo:
    format: ImageFormat
    width: int  # as displayed, after the EXIF orientation
    height: int

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


def _header(data: bytes) -> tuple[ImageFormat, pyvips.Image]:
    image_format = sniff(data[:32])
    if image_format is None:
        raise ImageError(ImageErrorCode.NOT_ACCEPTED)
    try:
        header = pyvips.Image.new_from_buffer(data, "", access="sequential")
    except pyvips.Error as exc:
        raise ImageError(
            ImageErrorCode.HEADER_UNREADABLE, image_format=image_format.value.upper()
        ) from exc
    if header.get("vips-loader") != _LOADERS[image_format]:
        raise ImageError(ImageErrorCode.SIGNATURE_MISMATCH)
    return image_format, header


def _display_size(header: pyvips.Image) -> tuple[int, int]:
    orientation = header.get("orientation") if "orientation" in header.get_fields() else 1
    if orientation in _EXIF_SWAPS_SIDES:
        return header.height, header.width
    return header.width, header.height


def probe(data: bytes) -> ImageInfo:
    """Read the header only: format and displayed size. Raises `ImageError`."""
    image_format, header = _header(data)
    width, height = _display_size(header)
    return ImageInfo(format=image_format, width=width, height=height)


def _to_srgb(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB without alpha, whatever came in (CMYK, grey, 16-bit, a profile, transparency)."""
    if "icc-profile-data" in image.get_fields():
        try:
            image = image.icc_transform("srgb", embedded=True, intent="perceptual")
        except pyvips.Error:
            image = image.colourspace("srgb")
    elif image.interpretation != "srgb":
        image = image.colourspace("srgb")
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def preview(data: bytes, *, size: int = PREVIEW_SIZE) -> bytes:
    """A small JPEG for the library grid. Decoding every pixel also proves the file whole.

    Raises `ImageError` when the image is damaged or truncated.
    """
    _header(data)
    try:
        image = pyvips.Image.thumbnail_buffer(
            data, size, height=size, size="down", option_string="fail_on=error"
        )
        return bytes(_to_srgb(image).jpegsave_buffer(Q=80, keep="none"))
    except pyvips.Error as exc:
        raise ImageError(ImageErrorCode.DAMAGED) from exc


@dataclass(frozen=True)
class Crop:
    left: int
    top: int
    width: int
    height: int


def focal_crop(
    width: int, height: int, *, target: tuple[int, int], focal_x: float, focal_y: float
) -> Crop:
    """The largest box of the target's aspect ratio inside `width` x `height`, centred on
    the focal point (fractions of the width and height) as far as the edges allow."""
    target_width, target_height = target
    aspect = target_width / target_height
    if width / height > aspect:
        crop_width, crop_height = max(1, min(width, round(height * aspect))), height
    else:
        crop_width, crop_height = width, max(1, min(height, round(width / aspect)))
    left = round(focal_x * width - crop_width / 2)
    top = round(focal_y * height - crop_height / 2)
    return Crop(
        left=min(max(left, 0), width - crop_width),
        top=min(max(top, 0), height - crop_height),
        width=crop_width,
        height=crop_height,
    )


def needed_scale(width: int, height: int, sizes: Iterable[tuple[int, int]]) -> float:
    """The largest scale any of the sizes needs from an image of `width` x `height`.

    A rendition's crop spans the full height when the image is wider than the
    rendition and the full width otherwise, so its scale is max(w/width, h/height).
    """
    return max((max(w / width, h / height) for w, h in sizes), default=1.0)


@dataclass(frozen=True)
class Decoded:
    """An original decoded once, kept in memory, ready for `encode()`."""

    image: pyvips.Image
    focal_x: float
    focal_y: float


def decode_for(
    data: bytes, sizes: Iterable[tuple[int, int]], *, focal_x: float, focal_y: float
) -> Decoded:
    """Decode the original once, no larger than the biggest of `sizes` needs.

    JPEG shrink-on-load (1/2, 1/4, 1/8) is used when every size still fits; the
    rest of the reduction is one Lanczos pass. Raises `ImageError`.
    """
    image_format, header = _header(data)
    width, height = _display_size(header)
    scale = needed_scale(width, height, list(sizes))
    options: dict[str, int] = {}
    if image_format is ImageFormat.JPEG:
        options["shrink"] = next((s for s in (8, 4, 2) if scale * s <= 1), 1)
    try:
        image = pyvips.Image.new_from_buffer(
            data, "", access="sequential", fail_on="error", **options
        )
        image = _to_srgb(image.autorot())
        remaining = scale * width / image.width
        if remaining < _REDUCE_BELOW:
            image = image.resize(remaining, kernel="lanczos3")
        image = image.copy_memory()
    except pyvips.Error as exc:
        raise ImageError(ImageErrorCode.DAMAGED) from exc
    return Decoded(image=image, focal_x=focal_x, focal_y=focal_y)


def encode(decoded: Decoded, size: tuple[int, int], *, quality: int = JPEG_QUALITY) -> bytes:
    """One rendition: crop around the focal point, resize to exactly `size`, JPEG without
    metadata. Raises `ImageError`."""
    target_width, target_height = size
    image = decoded.image
    box = focal_crop(
        image.width,
        image.height,
        target=size,
        focal_x=decoded.focal_x,
        focal_y=decoded.focal_y,
    )
    try:
        piece = image.crop(box.left, box.top, box.width, box.height)
        if (piece.width, piece.height) != size:
            piece = piece.resize(
                target_width / piece.width, vscale=target_height / piece.height, kernel="lanczos3"
            )
        if (piece.width, piece.height) != size:  # a rounding pixel, never more
            piece = piece.gravity("centre", target_width, target_height, extend="copy")
        return bytes(piece.jpegsave_buffer(Q=quality, keep="none"))
    except pyvips.Error as exc:
        raise ImageError(
            ImageErrorCode.ENCODING_FAILED, width=target_width, height=target_height, reason=exc
        ) from exc


def encode_many(
    decoded: Decoded,
    sizes: Iterable[tuple[int, int]],
    *,
    quality: int = JPEG_QUALITY,
    workers: int = ENCODE_WORKERS,
) -> dict[tuple[int, int], bytes | ImageError]:
    """`encode()` for each distinct size, a few at a time, each result or its error.

    libvips releases the GIL, and one small pipeline rarely keeps every core busy, so
    encoding two sizes at once finishes the set sooner.
    """
    unique = list(dict.fromkeys(sizes))

    def attempt(size: tuple[int, int]) -> bytes | ImageError:
        try:
            return encode(decoded, size, quality=quality)
        except ImageError as exc:
            return exc

    if workers <= 1 or len(unique) <= 1:
        return {size: attempt(size) for size in unique}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roost-vips") as pool:
        return dict(zip(unique, pool.map(attempt, unique), strict=True))


def render_jpegs(
    data: bytes,
    sizes: Iterable[tuple[int, int]],
    *,
    focal_x: float = 0.5,
    focal_y: float = 0.5,
    quality: int = JPEG_QUALITY,
) -> dict[tuple[int, int], bytes]:
    """Every size from one decode, as the renditions task makes them; sizes asked for
    twice are encoded once. Raises `ImageError` when any size fails."""
    unique = list(dict.fromkeys(sizes))
    decoded = decode_for(data, unique, focal_x=focal_x, focal_y=focal_y)
    outputs: dict[tuple[int, int], bytes] = {}
    for size, result in encode_many(decoded, unique, quality=quality).items():
        if isinstance(result, ImageError):
            raise result
        outputs[size] = result
    return outputs


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height of an encoded image (header only)."""
    header = pyvips.Image.new_from_buffer(data, "", access="sequential")
    return header.width, header.height
