"""Colorizing real photographs that ship with scikit-image, for the README."""

import numpy as np

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def load_photo(name):
    """A colour photograph from ``skimage.data`` as uint8 ``(H, W, 3)``."""
    from skimage import data

    return getattr(data, name)()[..., :3]


def photo_demo(models, out_path, photos=PHOTOS):
    """Colorizes each photo's gray version with each model and writes gray | model... | original.

    Args:
        models: dict of column title -> anything ``colorize`` takes as ``model``.
    Returns:
        list of dicts per photo and model: size, lightness error, colourfulness of the result and truth.
    """
    from colorize_cnn import color, figures, metrics
    from colorize_cnn.colorize import colorize, load_colorizer

    colorizers = {title: load_colorizer(model) for title, model in models.items()}
    grays, columns, measures = [], {title: [] for title in models}, []
    originals = []
    for name in photos:
        original = load_photo(name)
        gray = np.rint(color.rgb_to_gray(original.astype(np.float32) / 255.0) * 255).astype(np.uint8)
        grays.append(gray.astype(np.float32) / 255.0)
        originals.append(original.astype(np.float32) / 255.0)
        for title, colorizer in colorizers.items():
            result = colorize(gray[..., 0], colorizer)
            columns[title].append(result.astype(np.float32) / 255.0)
            lightness_error = np.abs(
                color.rgb_to_lab(result.astype(np.float32) / 255.0)[..., 0] - color.gray_to_lightness(gray[..., 0])
            )
            measures.append({
                "photo": name, "model": title, "size": f"{gray.shape[1]}x{gray.shape[0]}",
                "same size": "yes" if result.shape[:2] == gray.shape[:2] else "NO",
                "max |dL|": float(lightness_error.max()),
                "CF": float(metrics.colourfulness_per_image(result[None].astype(np.float32) / 255.0)[0]),
                "truth CF": float(metrics.colourfulness_per_image(original[None].astype(np.float32) / 255.0)[0]),
            })
    figures.comparison_grid(grays, {**columns, "original": originals}, out_path, row_labels=list(photos), cell_inches=3.0)
    return measures


def working_size_sweep(model, sizes=(32, 64, 128, 256), photos=PHOTOS):
    """Mean PSNR and colourfulness over ``photos`` for each working size, next to the gray baseline's PSNR."""
    from colorize_cnn import color, metrics
    from colorize_cnn.colorize import colorize, load_colorizer

    colorizer = load_colorizer(model)
    originals = [load_photo(name).astype(np.float32) / 255.0 for name in photos]
    grays = [color.rgb_to_gray(original)[..., 0] for original in originals]
    gray_psnr = np.mean([
        metrics.psnr_per_image(color.gray_to_rgb(gray[..., None])[None], original[None])[0]
        for gray, original in zip(grays, originals)
    ])
    rows = []
    for size in sizes:
        results = [colorize(gray, colorizer, working_size=size) for gray in grays]
        rows.append({
            "working size": size,
            "PSNR (dB)": float(np.mean([metrics.psnr_per_image(r[None], o[None])[0] for r, o in zip(results, originals)])),
            "gray baseline PSNR (dB)": float(gray_psnr),
            "CF": float(np.mean([metrics.colourfulness_per_image(r[None])[0] for r in results])),
        })
    return rows
