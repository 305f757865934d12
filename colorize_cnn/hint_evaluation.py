"""Scoring a hint model: hints drawn from the truth by a fixed, seeded protocol, and their spread.

**The protocol** (Zhang, Zhu et al. 2017's evaluation, at our working size): for each photo, a
sequence of ``MAX_HINTS`` points, each drawn from a normal distribution centred on the photo with a
spread of a quarter of its side (per axis, clipped to the photo); the hint's colour is the true
colour averaged over the working-size pixel the point falls in (the patch the network sees), as
sRGB. ``n`` hints are the first ``n`` of the sequence, so more hints only add. The random stream
of a photo depends on the seed and the photo's name alone; the sequences are saved as the JSON of
``colorize_cnn.hints`` (one file per photo), and a re-run reads them back.

**Spread** (the failure users of the paper's code report: a hint that barely leaves its patch):
single-hint trials on photos with human segmentations (BSDS500). The hint falls in one segment; the
ab error (mean Euclidean distance to the true a*b*) inside that segment, and outside it (further
than ``OUTSIDE_MARGIN`` px), with the hint and without.
"""

import zlib
from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.config import WORKING_SIZE

MAX_HINTS = 50
HINT_COUNTS = (0, 1, 2, 5, 10, 20, 50)
OUTSIDE_MARGIN = 5  # px: "outside the segment" starts this far from it


def _rng(name, seed):
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def protocol_hints(name, truth, seed=0, count=MAX_HINTS, working_size=WORKING_SIZE):
    """The protocol's hint sequence for the photo ``truth`` (float RGB ``(H, W, 3)``) called ``name``."""
    from colorize_cnn.hints import make_hint

    rng = _rng(name, seed)
    height, width = truth.shape[:2]
    scale = min(1.0, working_size / max(height, width))
    cell_y, cell_x = height / max(1, round(height * scale)), width / max(1, round(width * scale))
    hints = []
    for _ in range(count):
        y = float(np.clip(rng.normal(height / 2, height / 4), 0, height - 1))
        x = float(np.clip(rng.normal(width / 2, width / 4), 0, width - 1))
        top, left = int(y // cell_y * cell_y), int(x // cell_x * cell_x)  # the working-size pixel's box
        patch = truth[top:max(top + 1, int(round(top + cell_y))), left:max(left + 1, int(round(left + cell_x)))]
        lab = color.rgb_to_lab(patch).reshape(-1, 3).mean(axis=0)
        rgb = np.clip(color.lab_to_rgb(lab[None, None].astype(np.float32))[0, 0], 0, 1)
        hints.append(make_hint(int(x), int(y), tuple(int(v) for v in np.rint(rgb * 255))))
    return tuple(hints)


def hint_sequences(names, truths, folder, seed=0, working_size=WORKING_SIZE):
    """The protocol's sequence for each photo, read from ``folder/<name>.json`` where an earlier run
    saved it, else drawn and saved there (``folder`` None: drawn, not saved)."""
    from colorize_cnn.hints import read_hints_file, write_hints_file

    sequences = []
    for name, truth in zip(names, truths):
        path = None if folder is None else Path(folder) / f"{Path(name).stem}.json"
        if path is not None and path.is_file():
            sequences.append(read_hints_file(path))
            continue
        sequence = protocol_hints(name, truth, seed, working_size=working_size)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_hints_file(sequence, path)
        sequences.append(sequence)
    return sequences


def colorize_with_hints(colorizer, truths, sequences, count, vividness=None, working_size=WORKING_SIZE):
    """Each photo's gray (its true L) colorized at its own size with the first ``count`` hints."""
    from colorize_cnn.colorize import colorize

    return [colorize(color.rgb_to_gray(truth)[..., 0], colorizer, working_size, vividness,
                     hints=sequence[:count] if count else None)
            for truth, sequence in zip(truths, sequences)]


def values_by_hint_count(colorizer, truths, sequences, prior, counts=HINT_COUNTS, vividness=None):
    """Per-photo metrics (``evaluate.photo_metrics``) at each number of hints: ``{count: {metric: (N,)}}``."""
    from colorize_cnn.evaluate import photo_metrics

    return {count: photo_metrics(colorize_with_hints(colorizer, truths, sequences, count, vividness), truths, prior)
            for count in counts}


# --- spread ----------------------------------------------------------------------------------

def load_segmentation(path):
    """The first human segmentation of a BSDS500 ground-truth ``.mat`` file: int labels ``(H, W)``."""
    from scipy.io import loadmat

    truth = loadmat(path)["groundTruth"]
    return np.asarray(truth[0, 0]["Segmentation"][0, 0], dtype=np.int32)


def _ab_error(rgb, true_ab):
    return np.linalg.norm(color.rgb_to_lab(rgb)[..., 1:] - true_ab, axis=-1)


def spread_trials(colorizer, name, truth, segmentation, trials=3, seed=0, vividness=None,
                  working_size=WORKING_SIZE):
    """Single-hint trials on one photo: for each, the hint (the protocol's way, from its own random
    stream), and the mean ab error inside the hinted segment and outside it with the hint and
    without. Returns a list of dicts."""
    from scipy.ndimage import distance_transform_edt

    from colorize_cnn.colorize import ColorizeSession

    session = ColorizeSession(color.rgb_to_gray(truth)[..., 0], colorizer, working_size)
    true_ab = color.rgb_to_lab(truth)[..., 1:]
    automatic = _ab_error(session.render((), vividness), true_ab)
    results = []
    for trial, hint in enumerate(protocol_hints(f"{name}/spread", truth, seed, trials, working_size)):
        segment = segmentation == segmentation[int(hint.y), int(hint.x)]
        outside = distance_transform_edt(~segment) > OUTSIDE_MARGIN
        hinted = _ab_error(session.render((hint,), vividness), true_ab)
        results.append({"photo": name, "trial": trial, "segment_share": float(segment.mean()),
                        "inside_automatic": float(automatic[segment].mean()), "inside_hinted": float(hinted[segment].mean()),
                        "outside_automatic": float(automatic[outside].mean()) if outside.any() else float("nan"),
                        "outside_hinted": float(hinted[outside].mean()) if outside.any() else float("nan")})
    return results


def summarise_spread(trials):
    """Means over trials: the share of the inside error a hint removes, the relative change outside."""
    inside_auto = np.array([t["inside_automatic"] for t in trials])
    inside_hint = np.array([t["inside_hinted"] for t in trials])
    outside = [(t["outside_automatic"], t["outside_hinted"]) for t in trials if np.isfinite(t["outside_automatic"])]
    outside_auto, outside_hint = np.array(outside).T if outside else (np.zeros(1), np.zeros(1))
    return {
        "trials": len(trials),
        "inside_error_automatic": float(inside_auto.mean()), "inside_error_hinted": float(inside_hint.mean()),
        "inside_error_removed": float(1 - inside_hint.mean() / max(inside_auto.mean(), 1e-12)),
        "inside_error_removed_per_trial_mean": float(np.mean(1 - inside_hint / np.maximum(inside_auto, 1e-12))),
        "outside_error_automatic": float(outside_auto.mean()), "outside_error_hinted": float(outside_hint.mean()),
        "outside_error_change": float(outside_hint.mean() / max(outside_auto.mean(), 1e-12) - 1),
    }



# --- the report: experiments/hints.py --------------------------------------------------------

# Zhang, Zhu et al. 2017, Fig. 4 (1,000 ImageNet val photos at 256 px, their 34M-parameter network):
# PSNR of their automatic result and its gain with 1, 2, 5, 10, 20 and 50 random hints.
PAPER_AUTOMATIC_PSNR = 24.43
PAPER_GAINS = {1: 0.94, 2: 1.77, 5: 2.96, 10: 3.99, 20: 4.91, 50: 5.99}
FIGURE_HINTS = 10  # hints drawn on the photo figure


def main(argv=None):
    import argparse

    from colorize_cnn.colorize import AUTOMATIC_MODEL
    from colorize_cnn.errors import report_errors

    parser = argparse.ArgumentParser(description="Score the hint model with hints drawn from the truth (a fixed, "
                                     "seeded protocol) at 0 to 50 hints on BSDS500 test and Tiny ImageNet val, "
                                     "measure how far one hint spreads on BSDS500 test's human segmentations, "
                                     "and draw the figures.")
    parser.add_argument("--bsds500", type=Path, required=True, help="BSDS500 folder (test/ and groundTruth/test/)")
    parser.add_argument("--tiny-imagenet", type=Path, required=True, help="tiny-imagenet-200.zip or its folder")
    parser.add_argument("--model", default="unet_hints", help="the hint model (default: %(default)s)")
    parser.add_argument("--automatic", default=AUTOMATIC_MODEL, help="the automatic model beside it (default: %(default)s)")
    parser.add_argument("--tiny-images", type=int, default=1000, help="class-balanced Tiny ImageNet val images "
                        "(default: %(default)s)")
    parser.add_argument("--limit", type=int, help="BSDS500 test photos (a quick run; default: all)")
    parser.add_argument("--out", type=Path, default=Path("runs") / "hints", help="results, tables, hint files "
                        "(default: %(default)s); a full run also writes the README's figures to README-assets/")
    args = parser.parse_args(argv)
    with report_errors() as status:
        hint_report(args.bsds500, args.tiny_imagenet, args.out, args.model, args.automatic, args.tiny_images,
                    args.limit)
    return status.code


def hint_report(bsds500, tiny_imagenet, out_dir, model="unet_hints", automatic=None, tiny_images=1000,
                limit=None):
    """The hint evaluation; writes ``hints.json`` and ``hints.md`` to ``out_dir`` (and, for a full run,
    the figures and tables to ``README-assets``) and returns the results. ``automatic``: the model
    without hints beside it (default: ``colorize.AUTOMATIC_MODEL``)."""
    from colorize_cnn import evaluate
    from colorize_cnn.colorize import AUTOMATIC_MODEL, load_colorizer
    from colorize_cnn.compare import markdown_table, write_text
    from colorize_cnn.data import balanced_subset, load_dataset, training_ab_prior
    from colorize_cnn.files import README_ASSETS, write_json

    out_dir = Path(out_dir)
    tiny = load_dataset("tiny_imagenet", tiny_imagenet)
    prior = training_ab_prior(tiny)
    pick = balanced_subset(tiny.test.labels, min(tiny_images, len(tiny.test)))
    test_names, test_photos = evaluate.load_photos(Path(bsds500) / "test", limit)
    sets = {f"BSDS500 test ({len(test_photos)} photos)": ("bsds500-test", test_names, test_photos),
            f"Tiny ImageNet val ({len(pick)} images)": ("tiny-imagenet-val", [f"val_{i}" for i in pick],
                                                        list(tiny.test.rgb[pick]))}
    automatic_name = automatic or AUTOMATIC_MODEL
    hinted, automatic = load_colorizer(model), load_colorizer(automatic_name)
    results, rows = {"model": hinted.name, "automatic": automatic.name, "sets": {}}, []
    for key, (slug, names, truths) in sets.items():
        sequences = hint_sequences(names, truths, out_dir / "hint-files" / slug)
        gray = evaluate.gray_baseline(truths, prior)
        auto = evaluate.summarise(evaluate.photo_metrics(evaluate.colorize_photos(automatic, truths), truths, prior))
        by_count = {count: evaluate.summarise(values)
                    for count, values in values_by_hint_count(hinted, truths, sequences, prior).items()}
        results["sets"][key] = {"gray": gray, "automatic": auto, "hints": {str(c): s for c, s in by_count.items()}}
        rows.append(_row(key, "gray (a = b = 0)", gray, auto))
        rows.append(_row(key, f"automatic ({automatic_name})", auto, auto))
        rows += [_row(key, f"{count} hints", summary, auto) for count, summary in by_count.items()]
        print(f"{key}: gray {gray['psnr']:.2f}, automatic {auto['psnr']:.2f}, "
              + ", ".join(f"{c}: {s['psnr']:.2f}" for c, s in by_count.items()), flush=True)
    gt_folder = Path(bsds500) / "groundTruth" / "test"
    trials = [trial for name, truth in zip(test_names, test_photos)
              for trial in spread_trials(hinted, name, truth, load_segmentation(gt_folder / f"{Path(name).stem}.mat"))]
    results["spread"] = {"set": f"BSDS500 test ({len(test_photos)} photos, 3 single-hint trials each)",
                         **summarise_spread(trials)}
    spread_row = {"set": results["spread"]["set"], **{k: v for k, v in results["spread"].items() if k != "set"}}
    write_json(results, out_dir / "hints.json")
    write_json(trials, out_dir / "spread-trials.json")
    table = markdown_table(rows) + "\n\nSpread of one hint:\n\n" + markdown_table([spread_row])
    write_text(table, out_dir / "hints.md")
    print(table)
    assets = out_dir if limit else README_ASSETS
    psnr_against_hints(results, assets / "hints-psnr.png")
    first = next(iter(sets.values()))
    hint_figure(hinted, automatic, first[1], first[2], hint_sequences(first[1], first[2], out_dir / "hint-files" /
                                                                      first[0]), assets / "hints-photos.png")
    if not limit:
        write_json(results, README_ASSETS / "hints.json")
        write_text(table, README_ASSETS / "hints.md")
    return results


def _row(key, title, summary, automatic):
    return {"set": key, "input": title, "PSNR (dB)": summary["psnr"],
            "vs automatic (dB)": summary["psnr"] - automatic["psnr"], "SSIM": summary["ssim"], "AuC": summary["auc"],
            "CF / truth": summary["colourfulness_ratio"], "> 3 dB below gray (%)": summary["below_gray_3db"]}


def psnr_against_hints(results, path):
    """PSNR against the number of hints for each set, with the paper's gains for reference."""
    import matplotlib.pyplot as plt

    from colorize_cnn.figures import _save

    figure, axis = plt.subplots(figsize=(6, 4))
    for key, result in results["sets"].items():
        counts = [int(c) for c in result["hints"]]
        line, = axis.plot(counts, [result["hints"][str(c)]["psnr"] for c in counts], "o-", label=f"hint model, {key}")
        axis.axhline(result["automatic"]["psnr"], color=line.get_color(), linestyle=":", linewidth=1,
                     label=f"automatic, {key}")
        axis.axhline(result["gray"]["psnr"], color=line.get_color(), linestyle="--", linewidth=1, label=f"gray, {key}")
    counts = [0, *PAPER_GAINS]
    axis.plot(counts, [PAPER_AUTOMATIC_PSNR + PAPER_GAINS.get(c, 0.0) for c in counts], "s--", color="gray",
              label="Zhang, Zhu et al. 2017 (ImageNet val, 256 px, other photos and size)")
    axis.set_xscale("symlog", linthresh=1)
    axis.set_xticks(counts)
    axis.set_xticklabels([str(c) for c in counts])
    axis.set_xlabel("hints (random points, colour from the truth)")
    axis.set_ylabel("PSNR (dB)")
    axis.legend(fontsize=6)
    axis.grid(alpha=0.3)
    _save(figure, path)


def hint_figure(hinted, automatic, names, truths, sequences, path, picks=(0, 3, 7), count=FIGURE_HINTS):
    """Rows of photos: gray | automatic | with ``count`` hints (dots drawn where they are) | original."""
    import matplotlib.pyplot as plt

    from colorize_cnn.colorize import colorize
    from colorize_cnn.figures import _save

    picks = [p for p in picks if p < len(truths)]
    figure, axes = plt.subplots(len(picks), 4, figsize=(10, 1.95 * len(picks)), squeeze=False)
    for row, index in enumerate(picks):
        gray = color.rgb_to_gray(truths[index])[..., 0]
        hints = sequences[index][:count]
        images = [gray, colorize(gray, automatic), colorize(gray, hinted, hints=hints), truths[index]]
        titles = ["gray input", "automatic", f"{count} hints (dots)", "original"]
        for column, image in enumerate(images):
            axis = axes[row, column]
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
            if column == 2:
                axis.scatter([h.x for h in hints], [h.y for h in hints], c=[h.hex for h in hints], s=36,
                             edgecolors="white", linewidths=1.2)
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(titles[column], fontsize=9)
            if column == 0:
                axis.set_ylabel(names[index], fontsize=8)
    _save(figure, path)
