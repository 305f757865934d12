"""The chroma upsampling report: how well each way of bringing chroma to full size restores
BSDS500 photos from their own shrunk chroma (no model), with a figure of crops."""

import argparse
import time
from pathlib import Path

import numpy as np

from colorize_cnn.reports.tables import columns

UPSAMPLING_COLUMNS = columns("psnr", "chroma_error", "edge_chroma_error")


def upsampling_main(sigmas, figure_photos, argv=None):
    from colorize_cnn.errors import report_errors
    from colorize_cnn.files import README_ASSETS

    parser = argparse.ArgumentParser(description="Compare chroma upsampling methods on whole photos' own chroma, "
                                     "shrunk to the default model's chroma grid: the joint bilateral filter's sigma "
                                     "on BSDS500 val, every method on BSDS500 test.")
    parser.add_argument("--bsds500", type=Path, required=True, metavar="PATH", help="BSDS500 folder with val/ and test/")
    parser.add_argument("--out", type=Path, default=README_ASSETS, help="default: %(default)s")
    parser.add_argument("--limit", type=int, default=None, help="a quick check on this many photos of each split")
    args = parser.parse_args(argv)
    with report_errors() as status:
        upsampling_report(Path(args.bsds500), args.out, sigmas, args.limit, figure_photos)
    return status.code


def upsampling_figure(folder, path, names, crop=160):
    """Gray | bilinear | joint bilateral | original on a ``crop``-pixel square of each named photo
    (centred on the median position of its lightness edges), chroma shrunk to the default model's grid."""
    from colorize_cnn import color, evaluate, figures
    from colorize_cnn.data import load_photos

    grays, columns = [], {"bilinear (before)": [], "joint bilateral (default)": [], "original": []}
    for name in names:
        _, (truth,) = load_photos(folder, names=[name])
        lab = color.rgb_to_lab(truth)
        rows, cols = np.nonzero(evaluate.edge_band(lab[..., 0]))
        top = int(np.clip(np.median(rows) - crop // 2, 0, truth.shape[0] - crop))
        left = int(np.clip(np.median(cols) - crop // 2, 0, truth.shape[1] - crop))
        window = (slice(top, top + crop), slice(left, left + crop))
        grays.append(color.rgb_to_gray(truth)[window])
        for title, method in (("bilinear (before)", "bilinear"), ("joint bilateral (default)", "joint_bilateral")):
            columns[title].append(evaluate.restored_from_shrunk_chroma(lab, method)[0][window])
        columns["original"].append(truth[window])
    figures.comparison_grid(grays, columns, path, row_labels=list(names), cell_inches=2.2)


def upsampling_report(bsds500, out_dir, sigmas, limit=None, figure_photos=()):
    """Writes ``chroma-upsampling.md``, ``.json`` and ``.png`` to ``out_dir``: the sigma sweep on val,
    every method (joint bilateral at ``color.BILATERAL_SIGMA``) on test, the gray baseline beside
    them, and the figure (``upsampling_figure``) on ``figure_photos`` of val."""
    from colorize_cnn import evaluate
    from colorize_cnn.data import load_photos
    from colorize_cnn.reports.tables import markdown_table, write_text
    from colorize_cnn.files import write_json

    summary, tables = {}, []
    for split, split_sigmas in (("val", sigmas), ("test", None)):
        _, truths = load_photos(Path(bsds500) / split, limit)
        started = time.perf_counter()
        errors = evaluate.upsampling_errors(truths, **({"sigmas": split_sigmas} if split_sigmas else {}))
        summary[split] = {name: {key: float(np.mean(series)) for key, series in values.items()} for name, values in errors.items()}
        rows = [{"upsampling": name, **{label: summary[split][name][key] for key, label in UPSAMPLING_COLUMNS.items()}}
                for name in summary[split]]
        tables.append(f"### BSDS500 {split}, {len(truths)} whole photos\n\n" + markdown_table(rows))
        print(f"  BSDS500 {split}: {time.perf_counter() - started:.0f} s")
    header = ("Produced by experiments/chroma_upsampling.py. Each photo's true chroma is shrunk to a grid of "
              f"longest side {evaluate.UPSAMPLING_CHROMA_SIDE} (the default model's, at working size 64), brought back "
              "to full size and joined to the true lightness. ab error: mean CIELAB ab distance to the truth; at "
              "edges: within 2 px of a Canny edge of the lightness. Sigma chosen on val; test reported at the "
              "default.\n\n")
    write_text(header + "\n".join(tables), Path(out_dir) / "chroma-upsampling.md")
    write_json(summary, Path(out_dir) / "chroma-upsampling.json")
    if limit is not None:  # a quick check: the first val photos stand in for the figure's
        figure_photos = load_photos(Path(bsds500) / "val", min(limit, 3))[0]
    upsampling_figure(Path(bsds500) / "val", Path(out_dir) / "chroma-upsampling.png", figure_photos)
    print("\n".join(tables))
    return summary
