"""The hint report: the hint protocol's measures (``colorize_cnn.hint_protocol``) on BSDS500 test
and Tiny ImageNet val against the automatic model, its tables and figures."""

from pathlib import Path

from colorize_cnn import color
from colorize_cnn.files import README_ASSETS
from colorize_cnn.hint_protocol import (hint_sequences, load_segmentation, spread_trials, summarise_spread,
                                        values_by_hint_count)
from colorize_cnn.reports.tables import columns

PAPER_AUTOMATIC_PSNR = 24.43
PAPER_GAINS = {1: 0.94, 2: 1.77, 5: 2.96, 10: 3.99, 20: 4.91, 50: 5.99}
FIGURE_HINTS = 10  # hints drawn on the photo figure


def main(argv=None):
    import argparse

    from colorize_cnn.colorizer import default_model
    from colorize_cnn.errors import report_errors

    parser = argparse.ArgumentParser(description="Score the hint model with hints drawn from the truth (a fixed, "
                                     "seeded protocol) at 0 to 50 hints on BSDS500 test and Tiny ImageNet val, "
                                     "measure how far one hint spreads on BSDS500 test's human segmentations, "
                                     "and draw the figures.")
    parser.add_argument("--bsds500", type=Path, required=True, help="BSDS500 folder (test/ and groundTruth/test/)")
    parser.add_argument("--tiny-imagenet", type=Path, required=True, help="tiny-imagenet-200.zip or its folder")
    parser.add_argument("--model", default=default_model(hints=True), help="the hint model (default: %(default)s)")
    parser.add_argument("--automatic", default=default_model(hints=False), help="the automatic model beside it "
                        "(default: %(default)s)")
    parser.add_argument("--tiny-images", type=int, default=1000, help="class-balanced Tiny ImageNet val images "
                        "(default: %(default)s)")
    parser.add_argument("--limit", type=int, help="BSDS500 test photos (a quick run; default: all)")
    parser.add_argument("--out", type=Path, default=Path("runs") / "hints", help="results, tables, hint files "
                        "(default: %(default)s); a full run also writes the README's figures to --assets")
    parser.add_argument("--assets", type=Path, default=README_ASSETS, help="where a full run writes the README's "
                        "figures and tables (default: %(default)s)")
    args = parser.parse_args(argv)
    with report_errors() as status:
        hint_report(args.bsds500, args.tiny_imagenet, args.out, args.model, args.automatic, args.tiny_images,
                    args.limit, args.assets)
    return status.code


def hint_report(bsds500, tiny_imagenet, out_dir, model=None, automatic=None, tiny_images=1000,
                limit=None, assets_dir=README_ASSETS):
    """The hint evaluation; writes ``hints.json`` and ``hints.md`` to ``out_dir`` (and, for a full run,
    the figures and tables to ``assets_dir``) and returns the results. ``automatic``: the model
    without hints beside it (default: ``colorizer.default_model``, with hints and without)."""
    from colorize_cnn import evaluate
    from colorize_cnn.colorizer import default_model, load_colorizer
    from colorize_cnn.reports.tables import markdown_table, write_text
    from colorize_cnn.data import balanced_subset, load_dataset, training_ab_prior
    from colorize_cnn.files import write_json

    out_dir = Path(out_dir)
    tiny = load_dataset("tiny_imagenet", tiny_imagenet)
    prior = training_ab_prior(tiny)
    pick = balanced_subset(tiny.test.labels, min(tiny_images, len(tiny.test)))
    test_names, test_photos = evaluate.load_photos(Path(bsds500) / "test", limit)
    sets = {f"BSDS500 test ({len(test_photos)} photos)": ("bsds500-test", test_names, test_photos),
            f"Tiny ImageNet val ({len(pick)} images)": ("tiny-imagenet-val", [f"val_{i}" for i in pick],
                                                        list(tiny.test.rgb[pick]))}
    automatic_name = automatic or default_model(hints=False)
    hinted, automatic = load_colorizer(model, hints=True), load_colorizer(automatic_name)
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
    assets = out_dir if limit else Path(assets_dir)
    psnr_against_hints(results, assets / "hints-psnr.png")
    first = next(iter(sets.values()))
    hint_figure(hinted, automatic, first[1], first[2], hint_sequences(first[1], first[2], out_dir / "hint-files" /
                                                                      first[0]), assets / "hints-photos.png")
    if not limit:
        write_json(results, assets / "hints.json")
        write_text(table, assets / "hints.md")
    return results


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
