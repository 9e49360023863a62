"""Benchmark: one photo into every catalogue image rendition, against a plain Pillow pipeline.

Input: a generated 4000 x 3000 JPEG (12 megapixels, quality 90: colour gradients,
stripes, shapes and sensor-like noise, so decoding and encoding cost what a photo
costs). Output: a JPEG (quality 85, no metadata) for every rendition size of every
catalogue placement that accepts images, cropped around the focal point.

Roost: `roost.media.imaging.render_jpegs`, the pipeline behind the renditions
task: one decode with JPEG shrink-on-load, reduced once with Lanczos to the largest
size any rendition needs and kept in memory, then crop, resize and encode per size.
Reference, measured in the same run on the same bytes: Pillow as a first version
would use it: decode once, then per size crop, `resize(LANCZOS)` from full size and
save as JPEG quality 85. Both make each distinct size once (several placements
share a size). Measured: milliseconds for the full set, median of the runs, the two
pipelines taking turns. Every rendition must have its exact size and look like the
reference's (mean absolute difference per channel), or the run fails.

Needs no database.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT

sys.path.insert(0, str(ROOT))

TARGET_RATIO = 4.0
MAX_MEAN_ABS_DIFF = 6.0  # of 255 per channel; a wrong crop or size is far above this
QUALITY = 85


def make_photo(width: int, height: int) -> bytes:
    """A photo-like JPEG: gradients, stripes, shapes and noise."""
    import pyvips

    xyz = pyvips.Image.xyz(width, height)
    x, y = xyz[0], xyz[1]
    red = x * (255 / width)
    green = y * (255 / height)
    blue = (x / 37).sin() * 60 + (y / 53).cos() * 60 + 128
    noise = pyvips.Image.gaussnoise(width, height, sigma=10, mean=0)
    image = (red.bandjoin([green, blue]) + noise).cast("uchar").copy(interpretation="srgb")
    image = image.draw_rect(
        [230, 40, 40], width * 7 // 10, height // 8, width // 7, width // 7, fill=True
    )
    image = image.draw_circle([20, 200, 80], width // 4, height * 2 // 3, height // 6, fill=True)
    return bytes(image.jpegsave_buffer(Q=90))


def roost_pipeline(data: bytes, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    from roost.media import imaging

    return imaging.render_jpegs(data, sizes, focal_x=0.5, focal_y=0.5, quality=QUALITY)


def pillow_pipeline(data: bytes, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    from PIL import Image

    from roost.media.imaging import focal_crop

    image = Image.open(io.BytesIO(data))
    image.load()
    outputs = {}
    for size in dict.fromkeys(sizes):
        box = focal_crop(image.width, image.height, target=size, focal_x=0.5, focal_y=0.5)
        piece = image.crop((box.left, box.top, box.left + box.width, box.top + box.height))
        piece = piece.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        piece.save(buffer, "JPEG", quality=QUALITY)
        outputs[size] = buffer.getvalue()
    return outputs


def check(
    roost: dict[tuple[int, int], bytes],
    reference: dict[tuple[int, int], bytes],
    sizes: list[tuple[int, int]],
) -> tuple[list[str], float]:
    """Problems found (wrong or missing sizes, unlike the reference) and the worst difference."""
    import pyvips

    problems = []
    worst = 0.0
    for size in dict.fromkeys(sizes):
        if size not in roost:
            problems.append(f"{size[0]}x{size[1]}: missing")
            continue
        ours = pyvips.Image.new_from_buffer(roost[size], "")
        theirs = pyvips.Image.new_from_buffer(reference[size], "")
        if (ours.width, ours.height) != size:
            problems.append(f"{size[0]}x{size[1]}: made {ours.width}x{ours.height}")
            continue
        difference = (ours.cast("float") - theirs.cast("float")).abs().avg()
        worst = max(worst, difference)
        if difference > MAX_MEAN_ABS_DIFF:
            problems.append(f"{size[0]}x{size[1]}: differs from the reference by {difference:.1f}")
    return problems, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller photo and fewer runs")
    args = parser.parse_args()
    width, height, runs = (3000, 2250, 5) if args.quick else (4000, 3000, 7)

    from roost.media.targets import rendition_targets

    targets = rendition_targets("image")
    sizes = [target.size for target in targets]
    data = make_photo(width, height)

    roost_out = roost_pipeline(data, sizes)  # warm-up, and the outputs to check
    reference_out = pillow_pipeline(data, sizes)
    problems, worst = check(roost_out, reference_out, sizes)
    if problems:
        print("correctness: " + "; ".join(problems))
        sys.exit(1)

    pipelines: dict[str, Callable[[bytes, list[tuple[int, int]]], object]] = {
        "roost": roost_pipeline,
        "pillow": pillow_pipeline,
    }
    times: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(runs):
        for name, pipeline in pipelines.items():
            started = time.perf_counter()
            pipeline(data, sizes)
            times[name].append((time.perf_counter() - started) * 1000)
    roost_ms = statistics.median(times["roost"])
    pillow_ms = statistics.median(times["pillow"])
    ratio = pillow_ms / roost_ms

    distinct = len(dict.fromkeys(sizes))
    print(
        f"{width} x {height} JPEG ({len(data) / 1e6:.1f} MB), {len(targets)} renditions "
        f"({distinct} distinct sizes), {runs} runs, medians:"
    )
    print(f"  Roost (libvips, one shrunk decode)  {roost_ms:8.1f} ms")
    print(f"  Pillow (crop + LANCZOS per size)    {pillow_ms:8.1f} ms")
    summary = {
        "bench": "renditions",
        "size": {
            "width": width,
            "height": height,
            "megapixels": round(width * height / 1e6, 1),
            "jpeg_bytes": len(data),
            "renditions": len(targets),
            "distinct_sizes": distinct,
            "runs": runs,
        },
        "value": round(roost_ms, 1),
        "unit": "ms per full rendition set",
        "better": "lower",
        "reference": "Pillow: decode once, then crop + LANCZOS resize + JPEG q85 per size",
        "reference_value": round(pillow_ms, 1),
        "ratio": round(ratio, 2),
        "target": TARGET_RATIO,
        "target_is": "ratio",
        "ok": ratio >= TARGET_RATIO,
        "roost_runs_ms": [round(t, 1) for t in times["roost"]],
        "reference_runs_ms": [round(t, 1) for t in times["pillow"]],
        "max_mean_abs_diff": round(worst, 2),
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "renditions.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
