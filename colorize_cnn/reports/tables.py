"""The reports' tables: Markdown and CSV writers, and the one dict of column titles, so that a
measure is called the same in every table (``title`` / ``columns``)."""

import csv
import io

from colorize_cnn.files import atomic_output

TITLES = {  # a measure's key (colorize_cnn.metrics, evaluate.summarise) -> its column title
    "psnr": "PSNR (dB)", "ssim": "SSIM", "auc": "AuC (%)", "auc_rebalanced": "AuC rebal. (%)", "acc2": "Acc@2% (%)",
    "colourfulness": "CF", "colourfulness_ratio": "CF / truth", "delta_colourfulness": "delta-CF",
    "psnr_vs_gray": "vs gray (dB)", "vs_automatic": "vs automatic (dB)", "gray_psnr": "gray PSNR (dB)",
    "cast_a": "cast a*", "cast_b": "cast b*", "abs_cast_a": "size of cast a*", "abs_cast_b": "size of cast b*",
    "below_gray_1db": "> 1 dB below gray (%)", "below_gray_3db": "> 3 dB below gray (%)",
    "worst_10_vs_gray": "worst 10% vs gray (dB)", "mean_a": "mean a*", "mean_b": "mean b*",
    "truth_mean_a": "truth mean a*", "truth_mean_b": "truth mean b*", "truth_chroma": "truth chroma",
    "chroma_error": "ab error", "edge_chroma_error": "ab error at edges",
    # single-hint trials (colorize_cnn.hint_protocol)
    "inside_error_removed": "ab error removed in its segment", "outside_error_change": "ab error change outside it",
    "propagation_range": "propagation range (px)", "propagation_range_diagonal": "propagation range / diagonal",
    "take_up_segment": "way taken in its segment", "take_up_other_segments": "in other segments",
    "take_up_far": "beyond 1/3 of the diagonal", "hints_moving_others": "share of hints moving others > 0.2",
}
METRICS = ("psnr", "ssim", "auc", "auc_rebalanced", "acc2", "colourfulness", "colourfulness_ratio")  # CIFAR-10's
SUMMARY = ("psnr", "ssim", "auc", "auc_rebalanced", "colourfulness", "colourfulness_ratio", "delta_colourfulness")
CAST_AND_HARM = ("psnr_vs_gray", "cast_a", "cast_b", "abs_cast_a", "abs_cast_b", "below_gray_1db", "below_gray_3db",
                 "worst_10_vs_gray")  # docs/evaluation.md, "Cast and harm"


def columns(*keys):
    """``{key: title}`` for ``keys``, in their order."""
    return {key: TITLES[key] for key in keys}


def _format(value):
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(rows):
    """Rows (dicts with the same keys, in order) as a Markdown table."""
    names = list(rows[0])
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(_format(row[name]) for name in names) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(rows, path):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    with atomic_output(path) as temporary:
        temporary.write_text(buffer.getvalue())


def write_text(text, path):
    with atomic_output(path) as temporary:
        temporary.write_text(text)
