"""Hints: their forms and checks, what the network sees, the hint model, the session and the command line."""

import json

import numpy as np
import pytest

from colorize_cnn import color, heads
from colorize_cnn.colorize import ColorizeSession, colorize, load_colorizer, suggest_colours
from colorize_cnn.hints import (HINT_CHANNELS, Hint, HintError, as_hints, hint_planes, parse_color, parse_short_hint,
                                read_hints_file, simulate_planes, write_hints_file)
from colorize_cnn.models import build_model, transfer_weights


def _ab(hex_colour):
    return color.rgb_to_lab(np.array([[parse_color(hex_colour)]], np.float32) / 255)[0, 0, 1:]


def _lab(rgb8):
    return color.rgb_to_lab(rgb8.astype(np.float32) / 255)


@pytest.fixture(scope="module")
def cat():
    """A real photo (shipped with scikit-image) as 8-bit gray, and its truth."""
    from skimage import data

    rgb = data.chelsea()
    return np.rint(color.rgb_to_gray(rgb.astype(np.float32) / 255)[..., 0] * 255).astype(np.uint8), rgb


# --- forms and checks --------------------------------------------------------------------------

def test_colours_in_every_accepted_form():
    assert parse_color("#3366cc") == parse_color("3366CC") == parse_color((51, 102, 204)) == (51, 102, 204)
    assert parse_color("#fff") == (255, 255, 255)
    for bad in ("blue", "#12345", "#gggggg", (1, 2), (0, 0, 256), (0.2, 0.4, 0.8), (True, 0, 0), None):
        with pytest.raises(HintError, match="colour"):
            parse_color(bad)


def test_hints_in_every_accepted_form_and_their_refusals():
    expected = (Hint(3.0, 4.0, (255, 0, 0)), Hint(5.0, 6.0, (0, 0, 255), 2.0))
    assert as_hints([(3, 4, "#ff0000"), {"x": 5, "y": 6, "color": (0, 0, 255), "radius": 2}]) == expected
    assert as_hints(list(expected)) == expected and as_hints(None) == ()
    with pytest.raises(HintError, match="list"):
        as_hints({"x": 1, "y": 2, "color": "#fff"})
    with pytest.raises(HintError, match="lacks color"):
        as_hints([{"x": 1, "y": 2}])
    with pytest.raises(HintError, match="unknown: colour"):
        as_hints([{"x": 1, "y": 2, "color": "#fff", "colour": "#fff"}])
    with pytest.raises(HintError, match="radius must be positive"):
        as_hints([(1, 2, "#fff", 0)])
    with pytest.raises(HintError, match="x must be a number"):
        as_hints([("1", 2, "#fff")])
    with pytest.raises(HintError, match="number"):
        as_hints([(float("nan"), 2, "#fff")])


def test_short_form():
    assert parse_short_hint("120,48.5,#3366cc") == Hint(120.0, 48.5, (51, 102, 204))
    assert parse_short_hint("1,2,#000000,7").radius == 7.0
    for bad in ("120,48", "a,b,#ffffff", "1,2,red", "1,2,#ffffff,x"):
        with pytest.raises(HintError):
            parse_short_hint(bad)


def test_hints_file_round_trip_and_bad_files(tmp_path):
    hints = as_hints([(3.5, 4, "#102030"), (5, 6, "#ffffff", 2.5)])
    path = tmp_path / "hints.json"
    write_hints_file(hints, path)
    assert json.loads(path.read_text()) == [{"x": 3.5, "y": 4.0, "color": "#102030"},
                                            {"x": 5.0, "y": 6.0, "color": "#ffffff", "radius": 2.5}]
    assert read_hints_file(path) == hints
    for text, message in (("[{\"x\": 1,}", "not valid JSON"), ('{"x": 1}', "must hold a list"),
                          ('[{"x": 1, "y": 2, "color": "nope"}]', "hints file .*colour")):
        path.write_text(text)
        with pytest.raises(HintError, match=message):
            read_hints_file(path)
    with pytest.raises(HintError, match="does not exist"):
        read_hints_file(tmp_path / "missing.json")


# --- what the network sees ---------------------------------------------------------------------

def test_a_hint_lands_on_the_working_size_pixel_it_falls_in_and_a_radius_covers_a_disc():
    planes = hint_planes(as_hints([(399.9, 0, "#3366cc")]), (200, 400), (32, 64))
    assert planes.shape == (32, 64, HINT_CHANNELS)
    assert planes[..., 2].sum() == 1 and planes[0, 63, 2] == 1
    np.testing.assert_allclose(planes[0, 63, :2] * color.AB_RANGE, _ab("#3366cc"), atol=1e-3)
    disc = hint_planes(as_hints([(200, 100, "#808080", 25)]), (200, 400), (32, 64))  # radius 4 working pixels
    assert 40 <= disc[..., 2].sum() <= 60 and disc[16, 32, 2] == 1 and disc[16, 40, 2] == 0
    np.testing.assert_allclose(disc[..., :2][disc[..., 2] == 1], 0, atol=0.01)  # gray: no chroma


def test_simulated_hints_follow_the_papers_protocol():
    rng = np.random.default_rng(0)
    ab = np.repeat(np.linspace(-50, 50, 64, dtype=np.float32)[None, :, None], 64, axis=0)
    ab = np.broadcast_to(np.stack([ab[..., 0], -ab[..., 0]], axis=-1), (400, 64, 64, 2))
    planes = simulate_planes(ab, rng)
    hinted = planes[..., 2].reshape(400, -1).sum(axis=1)
    assert 0.06 < np.mean(hinted == 0) < 0.2  # one in eight has no hint
    assert set(np.unique(planes[..., 2])) == {0.0, 1.0}
    mask = planes[..., 2] == 1
    assert np.all(planes[..., :2][~mask] == 0)
    # a hint is its patch's mean colour: within a patch of 1-3 px of this ramp, within 2 columns' step
    np.testing.assert_allclose(planes[..., 0][mask] * color.AB_RANGE, ab[..., 0][mask], atol=2 * 100 / 63)
    assert planes[..., 2].sum(axis=(1, 2)).max() <= 9 * 60


def test_scene_hints_fall_anywhere_and_inside_regions():
    # four flat quadrants of different colours: a patch on a quadrant's edge mixes two colours
    ab = np.zeros((300, 64, 64, 2), np.float32)
    ab[:, :32, :32], ab[:, :32, 32:], ab[:, 32:, :32], ab[:, 32:, 32:] = (40, 0), (0, 40), (-40, 0), (0, -40)
    centre, scene = (simulate_planes(ab, np.random.default_rng(0), placement=placement)[..., 2] == 1
                     for placement in ("centre", "scene"))
    border = np.zeros((64, 64), bool)
    border[:8], border[-8:], border[:, :8], border[:, -8:] = True, True, True, True
    assert scene[:, border].mean() > 2 * centre[:, border].mean()  # not drawn towards the centre
    edges = np.zeros((64, 64), bool)
    edges[31:33], edges[:, 31:33] = True, True
    assert scene[:, edges].mean() < 0.5 * centre[:, edges].mean()  # rarely on a colour edge
    with pytest.raises(ValueError, match="placement"):
        simulate_planes(ab[:1], np.random.default_rng(0), placement="edges")


def test_the_hint_model_starts_as_the_model_it_is_fine_tuned_from():
    automatic = build_model("unet_photo", base_filters=4)
    hinted = transfer_weights(automatic, build_model("unet_hints", base_filters=4))
    gray = np.random.default_rng(0).random((1, 32, 48, 1), dtype=np.float32)
    planes = simulate_planes(np.full((1, 32, 48, 2), 30, np.float32), np.random.default_rng(1))
    for inputs in (np.concatenate([gray, np.zeros_like(planes)], -1), np.concatenate([gray, planes], -1)):
        np.testing.assert_allclose(heads.network_outputs(hinted, inputs)["ab"],
                                   heads.network_outputs(automatic, gray)["ab"], rtol=1e-5, atol=1e-4)  # oneDNN order


# --- the bundled hint model, through the API -------------------------------------------------

def test_a_hint_colours_its_region_and_leaves_far_ones_keeps_lightness(cat):
    gray, _ = cat
    automatic = _lab(colorize(gray, "unet_hints"))  # the hint model without hints
    near = (slice(192, 209), slice(142, 159))  # around x = 150, y = 200: the cat's fur
    far = np.hypot(*np.mgrid[:300, :451] - np.array([200, 150])[:, None, None]) > 230
    for hex_colour in ("#20c040", "#c03020", "#808080"):
        hinted = _lab(colorize(gray, hints=[(150, 200, hex_colour)]))
        target = _ab(hex_colour)
        before = np.linalg.norm(automatic[near][..., 1:] - target, axis=-1).mean()
        after = np.linalg.norm(hinted[near][..., 1:] - target, axis=-1).mean()
        moved_far = np.linalg.norm(hinted[far][..., 1:] - automatic[far][..., 1:], axis=-1).mean()
        # at least 0.4 of the way near the hint (a green cat is implausible: the bundled model, trained to
        # keep a hint in its region, takes 0.49 of the way for it, 0.8-0.9 for red and gray)
        assert after < 0.6 * before, hex_colour
        assert moved_far < 0.5 * (before - after), hex_colour  # far from it, less than half as much
        np.testing.assert_allclose(hinted[..., 0], automatic[..., 0], atol=1.0)  # L is the input's


def test_the_session_gives_what_colorize_gives_and_a_preview(cat):
    gray, _ = cat
    hints = [(200, 150, "#3366cc"), {"x": 20, "y": 280, "color": "#ffcc00", "radius": 10}]
    session = ColorizeSession(gray, preview_pixels=30_000)
    first = session.render(hints)
    session.preview(hints, vividness=1.0)  # another vividness and size in between
    np.testing.assert_array_equal(session.render(hints), first)
    np.testing.assert_array_equal(first, colorize(gray, hints=hints))
    preview = session.preview(hints)
    assert preview.dtype == np.uint8 and abs(preview.shape[0] * preview.shape[1] - 30_000) < 600
    assert abs(preview.shape[1] / preview.shape[0] - 451 / 300) < 0.02


def test_suggested_colours_are_a_ranked_palette_at_the_pixels_lightness(cat):
    gray, _ = cat
    palette = suggest_colours(gray, 200, 150, k=5)
    assert 1 <= len(palette) <= 5
    probabilities = [entry["probability"] for entry in palette]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1.0 + 1e-6
    lightness = color.gray_to_lightness(gray)[150, 200]
    for entry in palette:
        rgb = np.array([[parse_color(entry["color"])]], np.uint8)
        assert abs(_lab(rgb)[0, 0, 0] - lightness) < 3  # gamut clipping aside, at the pixel's L
    # a hint there puts its colour first
    hinted = ColorizeSession(gray).suggest_colours(200, 150, k=3, hints=[(200, 150, "#2040ff")])
    assert np.linalg.norm(_lab(np.array([[parse_color(hinted[0]["color"])]], np.uint8))[0, 0, 1:]
                          - _ab("#2040ff")) < np.linalg.norm(_ab("#2040ff"))
    with pytest.raises(HintError, match="outside"):
        suggest_colours(gray, 451, 0)


def test_bad_hints_are_refused_with_clear_errors(cat):
    gray, _ = cat
    with pytest.raises(HintError, match=r"outside the image \(451 x 300"):
        colorize(gray, hints=[(451, 10, "#ffffff")])
    with pytest.raises(HintError, match="takes no hints"):
        colorize(gray, "unet_photo", hints=[(1, 1, "#ffffff")])
    with pytest.raises(HintError, match="colour"):
        colorize(gray, hints=[(1, 1, "white")])


def test_a_saved_hint_model_reloads_to_the_same_hinted_output(tmp_path):
    model = build_model("unet_hints", base_filters=4)
    kernel, *rest = model.get_layer("down0_conv1").get_weights()
    kernel[:, :, 1:] = np.random.default_rng(0).normal(0, 0.3, kernel[:, :, 1:].shape)  # hints matter
    model.get_layer("down0_conv1").set_weights([kernel, *rest])
    model.save(tmp_path / "hints.keras")
    gray = np.random.default_rng(1).integers(40, 200, (70, 90), dtype=np.uint8)
    hints = [(10, 10, "#ff0000"), (80, 60, "#0000ff")]
    before = colorize(gray, load_colorizer(model), hints=hints)
    np.testing.assert_array_equal(colorize(gray, str(tmp_path / "hints.keras"), hints=hints), before)
    assert not np.array_equal(colorize(gray, load_colorizer(model)), before)


HOSTILE_HINTS = {  # values a file, a page or a caller may send: each must be a HintError, never a traceback
    "hints 5": 5, "hints true": True, "hints a string": "[1]",
    "x of 10**400": [{"x": 10**400, "y": 1, "color": "#fff"}],
    "x infinite": [{"x": float("inf"), "y": 1, "color": "#fff"}],
    "radius 1e308": [{"x": 1, "y": 1, "color": "#fff", "radius": 1e308}],
    "radius 10**400": [{"x": 1, "y": 1, "color": "#fff", "radius": 10**400}],
    "a long colour": [{"x": 1, "y": 1, "color": "#" + "f" * 10_000}],
    "a list colour of huge ints": [{"x": 1, "y": 1, "color": [10**400, 0, 0]}],
}


@pytest.mark.parametrize("name", HOSTILE_HINTS)
def test_hostile_hint_values_are_a_hint_error_with_a_short_message(name):
    gray = np.full((20, 30), 120, np.uint8)
    with pytest.raises(HintError) as refused:
        colorize(gray, hints=HOSTILE_HINTS[name])
    assert len(str(refused.value)) < 400


def test_hostile_hints_files_are_refused_in_one_line(tmp_path, monkeypatch):
    from colorize_cnn import hints

    cases = {"deep.json": "[" * 100_000 + "]" * 100_000, "digits.json": '[{"x": ' + "9" * 5000 + ', "y": 1, "color": "#fff"}]',
             "huge.json": "[" + " " * 2000 + "]"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    for name, expected in (("deep.json", "nested too deep"), ("digits.json", "not valid JSON")):
        with pytest.raises(HintError, match=expected):
            read_hints_file(tmp_path / name)
    monkeypatch.setattr(hints, "MAX_HINTS_FILE_BYTES", 1000)  # the limit, made small: the file is 2 kB
    with pytest.raises(HintError, match="a hints file is at most"):
        read_hints_file(tmp_path / "huge.json")


# --- the single-hint measures (colorize_cnn.hint_protocol) -------------------------------------

def test_take_up_is_the_share_of_the_way_to_the_hint_colour():
    from colorize_cnn.hint_protocol import take_up

    automatic, target = np.zeros((4, 4, 2)), np.array([40.0, 0.0])
    hinted = automatic.copy()
    hinted[:2] = target  # the top half reaches the hint's colour
    hinted[2:, :, 0] = 10.0  # the bottom half goes a quarter of the way
    top = np.zeros((4, 4), bool)
    top[:2] = True
    assert take_up(automatic, hinted, target, top) == pytest.approx(1.0)
    assert take_up(automatic, hinted, target, ~top) == pytest.approx(0.25)
    sideways = automatic.copy()
    sideways[..., 1] = 30.0  # a change, but not towards the hint's colour
    assert take_up(automatic, sideways, target, top) == pytest.approx(0.0)
    assert take_up(automatic, hinted - 2 * target, target, top) == pytest.approx(-1.0)  # away from it


@pytest.mark.parametrize("truth_rgb", [(0.8, 0.2, 0.2), (0.5, 0.5, 0.5), (0.1, 0.3, 0.9)])
def test_a_recolour_hint_turns_the_true_hue_round_with_chroma_of_at_least_40(truth_rgb):
    from colorize_cnn.hint_protocol import RECOLOUR_MIN_CHROMA, recolour_hint

    truth = np.broadcast_to(np.array(truth_rgb, np.float32), (48, 64, 3)).copy()
    hint = recolour_hint("photo", truth)
    assert hint == recolour_hint("photo", truth) and 0 <= hint.x < 64 and 0 <= hint.y < 48  # seeded
    true_ab, hint_ab = color.rgb_to_lab(truth)[0, 0, 1:], _ab(hint.hex)
    assert np.hypot(*hint_ab) >= RECOLOUR_MIN_CHROMA - 3  # what sRGB holds of it
    if np.hypot(*true_ab) > 5:
        assert np.dot(hint_ab, true_ab) / np.hypot(*hint_ab) / np.hypot(*true_ab) < -0.9  # the opposite hue


def test_the_propagation_range_is_the_mean_distance_to_the_pixels_a_hint_changed():
    from colorize_cnn.hint_protocol import propagation_range

    before = np.full((20, 30, 3), 0.5, np.float32)
    after = before.copy()
    after[5, 2] = after[5, 18] = (0.9, 0.3, 0.3)  # two pixels changed, 8 px either side of the hint
    after[10, 10] = 0.505  # below the just-noticeable difference: not counted
    hint = Hint(x=10, y=5, color=(255, 0, 0))
    assert propagation_range(before, after, hint) == pytest.approx(8.0)
    assert propagation_range(before, before, hint) == 0.0


def test_recoloured_crops_change_one_region_and_hint_it_inside():
    from colorize_cnn.recolour import recolour_regions

    # four flat quadrants of different colours and lightness, a little noise: Felzenszwalb finds them
    rgb = np.zeros((40, 64, 64, 3), np.float32)
    rgb[:, :32, :32], rgb[:, :32, 32:], rgb[:, 32:, :32], rgb[:, 32:, 32:] = (
        (0.8, 0.3, 0.3), (0.3, 0.7, 0.3), (0.3, 0.3, 0.6), (0.85, 0.8, 0.4))
    rgb = np.clip(rgb + np.random.default_rng(1).normal(0, 0.01, rgb.shape), 0, 1).astype(np.float32)
    target, planes = recolour_regions(rgb, np.random.default_rng(0), share=0.5)
    changed = np.abs(color.rgb_to_lab(target)[..., 1:] - color.rgb_to_lab(rgb)[..., 1:]).max(axis=-1) > 5
    recoloured = changed.any(axis=(1, 2))
    assert 10 <= recoloured.sum() <= 30  # about half the crops
    assert np.array_equal(recoloured, planes[..., 2].any(axis=(1, 2)))  # a hint exactly where a region changed
    assert not planes[~recoloured].any() and np.array_equal(target[~recoloured], rgb[~recoloured])
    for crop in np.flatnonzero(recoloured):
        quadrants = changed[crop].reshape(2, 32, 2, 32).mean(axis=(1, 3))
        assert np.sort(quadrants.ravel())[-2] < 0.05 and quadrants.max() > 0.9  # one quadrant, all of it
        hint = planes[crop, ..., 2] == 1
        assert changed[crop][hint].all()  # the hint lies inside the region it recoloured ...
        new_ab = color.rgb_to_lab(target[crop])[..., 1:][hint].mean(axis=0)
        np.testing.assert_allclose(planes[crop][hint][0, :2] * color.AB_RANGE, new_ab, atol=1.0)  # ... in its colour
        old_ab = color.rgb_to_lab(rgb[crop])[..., 1:][hint].mean(axis=0)
        turn = np.degrees(np.abs(np.angle(complex(*new_ab) / complex(*old_ab))))
        assert turn > 60  # another hue (90..270 degrees before sRGB's gamut clips it)
    lightness = color.rgb_to_lab(target)[..., 0] - color.rgb_to_lab(rgb)[..., 0]
    assert np.median(np.abs(lightness[changed])) < 3  # lightness kept where the gamut allows
    # training pairs: the input is the true gray with the region's hint among the others, the target the new colours
    from colorize_cnn.config import TrainConfig
    from colorize_cnn.recolour import training_pair

    config = TrainConfig(model_name="unet_hints", hint_placement="scene", recolour_share=1.0)
    inputs, targets = training_pair(config, heads.TWO_HEADS, 1, True, rgb, np.random.default_rng(0))
    ab = targets[heads.AB]
    assert inputs.shape == (40, 64, 64, 4) and ab.shape == (40, 64, 64, 2)
    np.testing.assert_allclose(inputs[..., :1], color.rgb_to_gray(rgb), atol=1e-6)
    moved = np.abs(ab - color.rgb_to_lab(rgb)[..., 1:]).max(axis=-1) > 5
    assert moved.any(axis=(1, 2)).mean() > 0.9 and (inputs[..., 3][moved] == 1).any()
