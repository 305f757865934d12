"""Decodings beside the vividness knob, measured against it: does colour where the model is
confident, or a correction of the training prior, buy more colour at the same harm?

The default decoding of a two-head model mixes the regression head's ab (safe, pale) with the
annealed mean of its bin distribution (vivid) by one weight for the whole photo, the vividness
(``heads.decode_ab``). Three families of decodings are scored here on the same photos:

* ``global``: that weight, ``v``, everywhere (what the package does);
* ``entropy`` and ``agreement``: a weight per pixel, ``min(1, scale * confidence ** power)``, from
  the bin distribution there: one minus its entropy over the entropy of a uniform distribution,
  or the chroma of its mean over the chroma of its annealed mean (1 where the likely colours agree
  in hue, 0 where they cancel out): colour where the model is sure, neutral where it is not;
* ``prior``: the distribution divided by the training prior to a power before the annealed mean,
  at weight ``v`` (Zhang et al.'s rebalancing, again at decoding).

Each at the balance values of ``BALANCES``. Every photo goes through the network once; each
decoding is recombined at the photo's own size, as ``colorize`` does. The rule for a default
decoding (``decoding.acceptable``) is about harm, so the report compares families at equal harm:
the colour a family reaches on each set at no more ruined photos than the vividness knob.
"""

from pathlib import Path

import numpy as np

from colorize_cnn import color

BALANCES = (0.25, 0.5)
GLOBAL = tuple(("global", v, None) for v in (0.0, 0.125, 0.25, 0.375, 0.5, 0.75))
CONFIDENCE = tuple((family, scale, power) for family in ("entropy", "agreement")
                   for scale in (0.5, 1.0, 1.5) for power in (1.0, 2.0))
PRIOR = tuple(("prior", v, power) for v in (0.25, 0.5) for power in (0.25, 0.5))
DECODINGS = GLOBAL + CONFIDENCE + PRIOR


def confidence(bins, family):
    """Per pixel in [0, 1], from the bin distribution ``bins`` ``(..., 484)``: ``"entropy"`` (one
    minus the normalised entropy) or ``"agreement"`` (the chroma of the mean over that of the
    annealed mean)."""
    from colorize_cnn import heads

    if family == "entropy":
        p = np.maximum(bins, 1e-8)
        return 1.0 - (-(p * np.log(p)).sum(-1) / np.log(bins.shape[-1]))
    mean = bins @ color.ab_bin_centers()
    vivid = heads.annealed_mean(bins, heads.VIVID_TEMPERATURE)
    return np.clip(np.linalg.norm(mean, axis=-1) / np.maximum(np.linalg.norm(vivid, axis=-1), 1.0), 0.0, 1.0)


def decode(safe, bins, decoding, balance, prior=None):
    """ab from a two-head output (``safe``: the regression head, ``bins``: the distribution) by one
    of ``DECODINGS``, then ``balance`` as ``heads.decode_ab`` applies it."""
    from colorize_cnn import heads

    family, value, power = decoding
    if family == "prior":
        corrected = bins / np.maximum(prior, 1e-8) ** power
        vivid = heads.annealed_mean(corrected / corrected.sum(-1, keepdims=True), heads.VIVID_TEMPERATURE)
    else:
        vivid = heads.annealed_mean(bins, heads.VIVID_TEMPERATURE)
    if family in ("global", "prior"):
        weight = np.float32(value)
    else:
        weight = np.clip(value * confidence(bins, family) ** power, 0.0, 1.0)[..., None]
    ab = (1 - weight) * safe + weight * vivid
    return (ab - balance * ab.mean(axis=(1, 2), keepdims=True)).astype(np.float32)


def score(colorizer, photos, prior, decodings=DECODINGS, balances=BALANCES):
    """``evaluate.summarise`` of ``photos`` (float RGB, any sizes) at each decoding and balance:
    ``{(decoding, balance): summary}``."""
    from colorize_cnn import evaluate, heads, metrics

    if colorizer.kind != heads.TWO_HEADS:
        from colorize_cnn.errors import BadArgumentError

        raise BadArgumentError(f"the decoding probe takes a two-head model (the default, unet_photo_mix, unet_photo); "
                               f"{colorizer.name} is {colorizer.kind}. Pass one with --model.")
    settings = [(decoding, balance) for decoding in decodings for balance in balances]
    per_photo = {setting: [] for setting in settings}
    for truth in photos:
        gray = color.rgb_to_gray(truth)[..., 0]
        shape = colorizer.working_shape(*gray.shape)
        outputs = colorizer.outputs(colorizer.network_input(gray), shape)
        rows, columns = (-(-side // colorizer.stride) for side in shape)
        safe, bins = (np.asarray(outputs[name][:, :rows, :columns], np.float32) for name in (heads.AB, heads.AB_BINS))
        lightness = color.gray_to_lightness(gray)
        for setting in settings:
            rgb = color.recombine(lightness, decode(safe, bins, *setting, prior)[0], dtype=np.float32)
            per_photo[setting].append(metrics.per_image_metrics(rgb[None], truth[None], None, False))
    return {setting: evaluate.summarise({name: np.concatenate([values[name] for values in per_photo[setting]])
                                         for name in per_photo[setting][0]}) for setting in settings}


def label(decoding):
    family, value, power = decoding
    if family == "global":
        return f"vividness {value:g}"
    if family == "prior":
        return f"vividness {value:g}, prior^{power:g}"
    return f"{family} x {value:g}, power {power:g}"


def at_equal_harm(summaries, family):
    """For each setting of the knob (``global``): the decoding of ``family`` with the most colour
    (the least colourfulness ratio over the sets) among those that ruin no more photos than that
    setting on every set. ``summaries``: {set: ``score``'s dict}. Returns a list of
    ``{"knob", "knob_ratio", "rival", "rival_ratio"}`` (ratios per set; rival None if none qualifies)."""
    keys = list(summaries)
    settings = list(summaries[keys[0]])
    rows = []
    for knob in (setting for setting in settings if setting[0][0] == "global"):
        rivals = [setting for setting in settings if setting[0][0] == family and all(
            summaries[key][setting]["below_gray_3db"] <= summaries[key][knob]["below_gray_3db"] for key in keys)]
        best = max(rivals, key=lambda setting: min(summaries[key][setting]["colourfulness_ratio"] for key in keys),
                   default=None)
        rows.append({"knob": f"{label(knob[0])} / balance {knob[1]:g}",
                     "knob_ratio": [summaries[key][knob]["colourfulness_ratio"] for key in keys],
                     "rival": None if best is None else f"{label(best[0])} / balance {best[1]:g}",
                     "rival_ratio": None if best is None else [summaries[key][best]["colourfulness_ratio"] for key in keys]})
    return rows


def main(argv=None):
    import argparse

    from colorize_cnn.errors import report_errors
    from colorize_cnn.files import README_ASSETS

    parser = argparse.ArgumentParser(description="Score confidence-aware decodings and a prior correction against "
                                     "the vividness knob on BSDS500 val and unseen Tiny ImageNet training images.")
    parser.add_argument("--tiny-imagenet", type=Path, required=True, help="the Tiny ImageNet subset the models trained on")
    parser.add_argument("--held-out-from", type=Path, required=True, help="the full Tiny ImageNet: its training images "
                        "that the subset lacks are scored")
    parser.add_argument("--bsds500", type=Path, required=True, help="BSDS500 folder (its val/ is scored)")
    parser.add_argument("--model", default="default", help="a two-head model (default: %(default)s)")
    parser.add_argument("--images", type=int, default=1000, help="unseen Tiny ImageNet images (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="BSDS500 val photos (a quick run; default: all)")
    parser.add_argument("--out", type=Path, default=Path("runs") / "decoding-probe", help="default: %(default)s")
    parser.add_argument("--assets", type=Path, default=README_ASSETS, help="where a full run writes decoding-probe.md "
                        "and .json (default: %(default)s)")
    args = parser.parse_args(argv)
    with report_errors() as status:
        decoding_probe(args.tiny_imagenet, args.held_out_from, args.bsds500, args.model, args.images, args.limit,
                       args.out, args.assets)
    return status.code


def decoding_probe(tiny_imagenet, held_out_from, bsds500, model="default", images=1000, limit=None,
                   out_dir=Path("runs") / "decoding-probe", assets_dir=None):
    """Scores ``DECODINGS`` on BSDS500 val and ``images`` unseen Tiny ImageNet training images; writes
    ``decoding-probe.json`` and ``.md`` to ``out_dir`` (and ``assets_dir`` after a full run)."""
    from colorize_cnn.colorizer import load_colorizer
    from colorize_cnn.data import decoded_training_sample, load_dataset, load_photos, training_ab_prior
    from colorize_cnn.files import write_json
    from colorize_cnn.reports.tables import write_text

    tiny = load_dataset("tiny_imagenet", tiny_imagenet)
    prior = training_ab_prior(tiny)
    held_out = decoded_training_sample(load_dataset("tiny_imagenet", held_out_from), images, exclude=tiny)
    val = load_photos(Path(bsds500) / "val", limit)[1]
    colorizer = load_colorizer(model)
    sets = {f"BSDS500 val ({len(val)} photos)": val, f"Tiny ImageNet training images not in the subset ({len(held_out)})":
            list(held_out)}
    summaries = {}
    for key, photos in sets.items():
        summaries[key] = score(colorizer, photos, prior)
        print(f"{key}: scored", flush=True)
    results = {"model": Path(colorizer.name).stem, "sets": {key: [
        {"decoding": label(decoding), "balance": balance, **{name: point[name] for name in (
            "psnr_vs_gray", "below_gray_3db", "colourfulness_ratio", "cast_a", "cast_b")}}
        for (decoding, balance), point in scores.items()] for key, scores in summaries.items()}}
    results["at_equal_harm"] = {family: at_equal_harm(summaries, family) for family in ("entropy", "agreement", "prior")}
    table = _markdown(results)
    out_dir = Path(out_dir)
    for folder in [out_dir] + ([Path(assets_dir)] if assets_dir is not None and limit is None else []):
        write_json(results, folder / "decoding-probe.json")
        write_text(table, folder / "decoding-probe.md")
    print(table)
    return results


def _markdown(results):
    from colorize_cnn.reports.tables import markdown_table

    keys = list(results["sets"])
    rows = []
    for index, point in enumerate(results["sets"][keys[0]]):
        row = {"decoding": point["decoding"], "balance": f"{point['balance']:g}"}
        for key in keys:
            other = results["sets"][key][index]
            row[key] = (f"{other['psnr_vs_gray']:+.2f} dB / {other['below_gray_3db']:.1f}% / "
                        f"{other['colourfulness_ratio']:.2f} x / b* {other['cast_b']:+.1f}")
        rows.append(row)
    lines = [f"Decodings of {results['model']}: PSNR over gray / photos > 3 dB below gray / colourfulness x the "
             "truth's / mean b* cast.", "", markdown_table(rows), "",
             "At equal harm: the most colour each family reaches while ruining no more photos than the knob's "
             "setting on every set.", ""]
    for family, table in results["at_equal_harm"].items():
        rows = [{"knob setting": row["knob"], "knob's colour": " / ".join(f"{r:.2f} x" for r in row["knob_ratio"]),
                 f"best {family} at no more harm": row["rival"] or "none",
                 "its colour": "" if row["rival"] is None else " / ".join(f"{r:.2f} x" for r in row["rival_ratio"])}
                for row in table]
        lines += [f"**{family}** (colour on " + " / ".join(keys) + ")", "", markdown_table(rows), ""]
    return "\n".join(lines)
