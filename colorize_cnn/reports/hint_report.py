"""The hint report: the hint protocol's measures (``colorize_cnn.hint_protocol``) against the
automatic model, its tables and figures. Hints from the truth at 0 to 50 hints on BSDS500 val (where
choices are made), BSDS500 test and Tiny ImageNet val (the report); single-hint trials (spread and
recolour) on BSDS500 val and test with their human segmentations; the figure on BSDS500 val."""

from pathlib import Path

import numpy as np

from colorize_cnn import color
from colorize_cnn.files import README_ASSETS
from colorize_cnn.hint_protocol import (hint_sequences, load_segmentation, recolour_hint, single_hint_trials,
                                        summarise_recolour, summarise_spread, values_by_hint_count)
from colorize_cnn.reports.tables import columns

# Zhang, Zhu et al. 2017, Fig. 4 (1,000 ImageNet val photos at 256 px, their 34M-parameter network):
# PSNR of their automatic result and its gain with 1, 2, 5, 10, 20 and 50 random hints.
PAPER_AUTOMATIC_PSNR = 24.43
PAPER_GAINS = {1: 0.94, 2: 1.77, 5: 2.96, 10: 3.99, 20: 4.91, 50: 5.99}
FIGURE_HINTS = (1, 10)  # the figure's columns of hints from the truth
FIGURE_ROWS = 3  # the BSDS500 val photos with the most segments (of at least MIN_SEGMENT_SHARE) are shown
MIN_SEGMENT_SHARE = 0.02


def main(argv=None):
    import argparse

    from colorize_cnn.colorizer import default_model
    from colorize_cnn.errors import report_errors

    parser = argparse.ArgumentParser(description="Score the hint model with hints drawn from the truth (a fixed, "
                                     "seeded protocol) at 0 to 50 hints on BSDS500 val and test and Tiny ImageNet "
                                     "val, measure how far one hint spreads and where a hint of another colour "
                                     "goes on BSDS500 val's and test's human segmentations, and draw the figures.")
    parser.add_argument("--bsds500", type=Path, required=True, help="BSDS500 folder (val/, test/ and groundTruth/)")
    parser.add_argument("--tiny-imagenet", type=Path, required=True, help="tiny-imagenet-200.zip or its folder")
    parser.add_argument("--model", default=default_model(hints=True), help="the hint model (default: %(default)s)")
    parser.add_argument("--automatic", default=default_model(hints=False), help="the automatic model beside it "
                        "(default: %(default)s)")
    parser.add_argument("--tiny-images", type=int, default=1000, help="class-balanced Tiny ImageNet val images "
                        "(default: %(default)s)")
    parser.add_argument("--working-size", type=int, help="the hint model's working size (default: its own, from "
                        "its JSON, else 64): to measure another without retraining")
    parser.add_argument("--vividness", type=float, help="the hint model's vividness (default: its own)")
    parser.add_argument("--limit", type=int, help="BSDS500 val and test photos each (a quick run; default: all)")
    parser.add_argument("--out", type=Path, default=Path("runs") / "hints", help="results, tables, hint files "
                        "(default: %(default)s); a full run also writes the README's figures to --assets")
    parser.add_argument("--assets", type=Path, default=README_ASSETS, help="where a full run writes the README's "
                        "figures and tables (default: %(default)s)")
    args = parser.parse_args(argv)
    with report_errors() as status:
        hint_report(args.bsds500, args.tiny_imagenet, args.out, args.model, args.automatic, args.tiny_images,
                    args.limit, args.assets, args.working_size, args.vividness)
    return status.code


def hint_report(bsds500, tiny_imagenet, out_dir, model=None, automatic=None, tiny_images=1000,
                limit=None, assets_dir=README_ASSETS, working_size=None, vividness=None):
    """The hint evaluation; writes ``hints.json`` and ``hints.md`` to ``out_dir`` (and, for a full run,
    the figures and tables to ``assets_dir``) and returns the results. ``automatic``: the model
    without hints beside it (default: ``colorizer.default_model``, with hints and without);
    ``working_size``, ``vividness``: the hint model's, instead of its own defaults."""
    import dataclasses

    from colorize_cnn import evaluate
    from colorize_cnn.colorizer import check_working_size, default_model, load_colorizer
    from colorize_cnn.heads import check_vividness
    from colorize_cnn.reports.tables import write_text
    from colorize_cnn.data import balanced_subset, load_dataset, load_photos, training_ab_prior
    from colorize_cnn.files import write_json

    out_dir = Path(out_dir)
    tiny = load_dataset("tiny_imagenet", tiny_imagenet)
    prior = training_ab_prior(tiny)
    pick = balanced_subset(tiny.test.labels, min(tiny_images, len(tiny.test)))
    bsds = {split: load_photos(Path(bsds500) / split, limit) for split in ("val", "test")}
    sets = {f"BSDS500 {split} ({len(photos)} photos)": (f"bsds500-{split}", names, photos)
            for split, (names, photos) in bsds.items()}
    sets[f"Tiny ImageNet val ({len(pick)} images)"] = ("tiny-imagenet-val", [f"val_{i}" for i in pick],
                                                       list(tiny.test.rgb[pick]))
    hinted, automatic = load_colorizer(model, hints=True), load_colorizer(automatic or default_model(hints=False))
    hinted = dataclasses.replace(hinted, working_size=check_working_size(working_size) or hinted.working_size,
                                 vividness=hinted.vividness if vividness is None else check_vividness(vividness))
    automatic_name = Path(automatic.name).stem  # a bundled model's name, not its path
    results, rows = {"model": Path(hinted.name).stem, "automatic": automatic_name, "working_size": hinted.working_size,
                     "vividness": hinted.vividness, "sets": {}, "single_hint": {}}, []
    sequences = {}
    for key, (slug, names, truths) in sets.items():
        sequences[slug] = hint_sequences(names, truths, out_dir / "hint-files" / slug)
        gray = evaluate.gray_baseline(truths, prior)
        auto = evaluate.summarise(evaluate.photo_metrics(evaluate.colorize_photos(automatic, truths), truths, prior))
        by_count = {count: evaluate.summarise(values)
                    for count, values in values_by_hint_count(hinted, truths, sequences[slug], prior).items()}
        results["sets"][key] = {"gray": gray, "automatic": auto, "hints": {str(c): s for c, s in by_count.items()}}
        rows.append(_row(key, "gray (a = b = 0)", gray, auto))
        rows.append(_row(key, f"automatic ({automatic_name})", auto, auto))
        rows += [_row(key, f"{count} hint{'' if count == 1 else 's'}", summary, auto) for count, summary in by_count.items()]
        print(f"{key}: gray {gray['psnr']:.2f}, automatic {auto['psnr']:.2f}, "
              + ", ".join(f"{c}: {s['psnr']:.2f}" for c, s in by_count.items()), flush=True)
    segmentations = {split: [load_segmentation(Path(bsds500) / "groundTruth" / split / f"{Path(name).stem}.mat")
                             for name in names] for split, (names, _) in bsds.items()}
    trials = {}
    for split, (names, photos) in bsds.items():
        key = f"BSDS500 {split} ({len(photos)} photos, 3 single-hint trials each)"
        trials[split] = [trial for name, truth, segmentation in zip(names, photos, segmentations[split])
                         for trial in single_hint_trials(hinted, name, truth, segmentation)]
        results["single_hint"][key] = {"spread": summarise_spread(trials[split]),
                                       "recolour": summarise_recolour(trials[split])}
        print(f"{key}: {results['single_hint'][key]}", flush=True)
    write_json(results, out_dir / "hints.json")
    write_json(trials, out_dir / "single-hint-trials.json")
    table = _tables(rows, results["single_hint"])
    write_text(table, out_dir / "hints.md")
    print(table)
    assets = out_dir if limit else Path(assets_dir)
    psnr_against_hints(results, assets / "hints-psnr.png")
    names, photos = bsds["val"]
    picks = _scenes(segmentations["val"])
    hint_figure(hinted, automatic, [names[i] for i in picks], [photos[i] for i in picks],
                [sequences["bsds500-val"][i] for i in picks], assets / "hints-photos.png")
    if not limit:
        write_json(results, assets / "hints.json")
        write_text(table, assets / "hints.md")
    return results


def _tables(rows, single_hint):
    from colorize_cnn.reports.tables import markdown_table

    spread = [{"set": key, **{label: value["spread"][name] for name, label in columns(
        "inside_error_removed", "outside_error_change", "propagation_range", "propagation_range_diagonal").items()}}
        for key, value in single_hint.items()]
    recolour = [{"set": key, **{label: value["recolour"][name] for name, label in columns(
        "take_up_segment", "take_up_other_segments", "take_up_far", "hints_moving_others").items()}}
        for key, value in single_hint.items()]
    return (markdown_table(rows) + "\n\nOne hint from the truth (spread):\n\n" + markdown_table(spread)
            + "\n\nOne hint of another colour (recolour: the share of the way to its colour taken):\n\n"
            + markdown_table(recolour))


def _scenes(segmentations, count=FIGURE_ROWS):
    """The photos with the most segments of at least ``MIN_SEGMENT_SHARE`` of the photo: scenes of
    several objects (picked by the human segmentations alone, never by a result)."""
    def segments(labels):
        return int(np.sum(np.bincount(labels.ravel()) >= MIN_SEGMENT_SHARE * labels.size))

    return sorted(range(len(segmentations)), key=lambda i: -segments(segmentations[i]))[:count]


def _row(key, title, summary, automatic):
    values = {**summary, "vs_automatic": summary["psnr"] - automatic["psnr"]}
    return {"set": key, "input": title, **{label: values[name] for name, label in columns(
        "psnr", "vs_automatic", "ssim", "auc", "colourfulness_ratio", "below_gray_3db").items()}}


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


def hint_figure(hinted, automatic, names, truths, sequences, path, counts=FIGURE_HINTS):
    """A row per photo: gray | automatic | with each of ``counts`` hints from the truth | one hint of
    another colour (``hint_protocol.recolour_hint``) | original; dots drawn where the hints are."""
    import matplotlib.pyplot as plt

    from colorize_cnn.colorize import ColorizeSession
    from colorize_cnn.figures import _save

    titles = ["gray input", "automatic", *(f"{c} hint{'s' * (c > 1)} (dots)" for c in counts),
              "1 hint, another colour", "original"]
    figure, axes = plt.subplots(len(truths), len(titles), figsize=(2.5 * len(titles), 1.95 * len(truths)),
                                squeeze=False)
    for row, (name, truth, sequence) in enumerate(zip(names, truths, sequences)):
        gray = color.rgb_to_gray(truth)[..., 0]
        session, automatic_session = ColorizeSession(gray, hinted), ColorizeSession(gray, automatic)
        given = [sequence[:count] for count in counts] + [(recolour_hint(f"{name}/figure", truth),)]
        images = [(gray, ()), (automatic_session.render(), ()), *((session.render(h), h) for h in given), (truth, ())]
        for column, (image, hints) in enumerate(images):
            axis = axes[row, column]
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
            if hints:
                axis.scatter([h.x for h in hints], [h.y for h in hints], c=[h.hex for h in hints], s=36,
                             edgecolors="white", linewidths=1.2)
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(titles[column], fontsize=9)
            if column == 0:
                axis.set_ylabel(name, fontsize=8)
    _save(figure, path)
