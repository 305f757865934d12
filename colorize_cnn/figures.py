"""Figures: each function takes arrays and a path, saves a PNG, and closes the figure."""

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from colorize_cnn.files import atomic_output  # noqa: E402

# Fixed test images for every comparison figure: (class index, n-th test image of that class),
# chosen once across the ten classes so that figures of different runs and models compare.
FIGURE_PICKS = ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (8, 10), (1, 12))


def figure_indices(labels, picks=FIGURE_PICKS):
    """Test-split indices of ``picks`` (skipping those a small split lacks)."""
    labels = np.asarray(labels)
    indices = []
    for class_index, nth in picks:
        members = np.flatnonzero(labels == class_index)
        if nth < len(members):
            indices.append(int(members[nth]))
        elif len(members):
            indices.append(int(members[nth % len(members)]))
    return indices


def _save(figure, path):
    with atomic_output(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)


def comparison_grid(gray, columns, path, row_labels=None, title=None, cell_inches=1.4):
    """Rows of images; columns gray input | each entry of ``columns`` (name -> RGB images).

    Args:
        gray: ``(rows, H, W, 1)`` or a list of ``(H, W, 1)`` arrays in [0, 1] (sizes may differ by row).
        columns: ordered dict of column title -> ``(rows, H, W, 3)`` (or list) in [0, 1].
        path: PNG to write.
    """
    titles = ["gray input", *columns]
    rows = len(gray)
    figure, axes = plt.subplots(rows, len(titles), figsize=(cell_inches * len(titles), cell_inches * rows), squeeze=False)
    for row in range(rows):
        images = [gray[row][..., 0], *(np.clip(images[row], 0, 1) for images in columns.values())]
        for column, image in enumerate(images):
            axis = axes[row, column]
            axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(textwrap.fill(titles[column], 16), fontsize=8)
            if column == 0 and row_labels is not None:
                axis.set_ylabel(row_labels[row], fontsize=8)
    if title:
        figure.suptitle(title, fontsize=9)
    _save(figure, path)


def learning_curves(histories, path, title="Learning curves"):
    """``histories``: name -> {"loss": [...], "val_loss": [...]} per epoch. One panel per model."""
    figure, axes = plt.subplots(1, len(histories), figsize=(4 * len(histories), 3), squeeze=False)
    for axis, (name, history) in zip(axes[0], histories.items()):
        epochs = np.arange(1, len(history["loss"]) + 1)
        axis.plot(epochs, history["loss"], marker="o", label="training")
        if "val_loss" in history:
            axis.plot(epochs, history["val_loss"], marker="o", label="validation (held-out images)")
        axis.set_title(name, fontsize=9)
        axis.set_xlabel("epoch")
        axis.set_ylabel("loss")
        axis.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def quality_against_minutes(curves, path, metric_label, baseline=None):
    """``curves``: name -> (cumulative CPU minutes per epoch, metric per epoch). One line per model."""
    figure, axis = plt.subplots(figsize=(6, 4))
    for name, (minutes, values) in curves.items():
        axis.plot(minutes, values, marker="o", label=name)
    if baseline is not None:
        axis.axhline(baseline, color="gray", linestyle="--", label="gray baseline")
    axis.set_xlabel("training wall time (minutes, 2-core CPU)")
    axis.set_ylabel(metric_label)
    axis.set_xscale("log")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    _save(figure, path)


def frontier_plot(panels, baselines, path):
    """PSNR against colourfulness (as a fraction of the truth's) across the vividness control.

    Args:
        panels: test-set title -> model title -> list of points ``{"vividness", "psnr", "colourfulness_ratio"}``.
        baselines: test-set title -> the gray baseline's ``{"psnr": ...}`` (colourfulness 0).
    """
    figure, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for axis, (panel, models) in zip(axes[0], panels.items()):
        gray_psnr = baselines[panel]["psnr"]
        axis.axhline(gray_psnr, color="gray", linestyle="--", linewidth=1)
        axis.plot([0], [gray_psnr], "s", color="gray", label=f"gray baseline ({gray_psnr:.2f} dB)")
        axis.axvline(1.0, color="black", linestyle=":", linewidth=1, label="truth's colourfulness")
        for title, points in models.items():
            x = [point["colourfulness_ratio"] for point in points]
            y = [point["psnr"] for point in points]
            (line,) = axis.plot(x, y, marker="o", label=title)
            for point, xi, yi in zip(points, x, y):
                axis.annotate(f"{point['vividness']:g}", (xi, yi), textcoords="offset points", xytext=(3, 3),
                              fontsize=7, color=line.get_color())
        axis.set_title(panel, fontsize=9)
        axis.set_xlabel("colourfulness / truth's (Hasler & Suesstrunk)")
        axis.set_ylabel("PSNR (dB)")
        axis.set_xlim(left=-0.05)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.suptitle("The vividness control from 0 to 1 (labels): PSNR against colourfulness", fontsize=10)
    figure.tight_layout()
    _save(figure, path)
