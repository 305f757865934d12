"""Photo data sets: Tiny ImageNet in the official zip's layout, and a folder of the user's photos."""

import zipfile

import numpy as np
import pytest
from PIL import Image

from colorize_cnn.data import (DataSourceError, PhotoSet, decoded_training_sample, load_dataset, photo_batches,
                               training_ab_prior)
from tests.conftest import WNIDS, make_images


def test_tiny_imagenet_reads_the_official_zip_and_skips_gray_files(tiny_imagenet_zip):
    dataset = load_dataset("tiny_imagenet", tiny_imagenet_zip)
    assert isinstance(dataset, PhotoSet) and dataset.crop_size == 64
    assert len(dataset.train_images) == 11 and dataset.skipped_gray == 1
    assert dataset.test.rgb.shape == (4, 64, 64, 3) and dataset.test.gray.shape == (4, 64, 64, 1)
    assert list(dataset.test.labels) == [0, 1, 0, 1] and dataset.class_names == WNIDS


def test_tiny_imagenet_reads_the_extracted_folder_too(tiny_imagenet_zip, tmp_path):
    with zipfile.ZipFile(tiny_imagenet_zip) as archive:
        archive.extractall(tmp_path)
    from_folder = load_dataset("tiny_imagenet", tmp_path)
    from_zip = load_dataset("tiny_imagenet", tiny_imagenet_zip)
    assert from_folder.train_images == from_zip.train_images
    np.testing.assert_array_equal(from_folder.test.rgb, from_zip.test.rgb)


@pytest.mark.parametrize("bad", ["missing.zip", "not-a-zip.zip", "empty-folder"])
def test_tiny_imagenet_refuses_what_it_cannot_read(tmp_path, bad):
    (tmp_path / "not-a-zip.zip").write_bytes(b"nope")
    (tmp_path / "empty-folder").mkdir()
    with pytest.raises(DataSourceError, match="tiny-imagenet|does not exist|wnids"):
        load_dataset("tiny_imagenet", tmp_path / bad)


def test_unknown_data_set_names_the_known_ones():
    with pytest.raises(DataSourceError, match="unknown data set 'imagenet'.*cifar10.*tiny_imagenet"):
        load_dataset("imagenet")


def test_photo_batches_crop_flip_and_compute_targets(tiny_imagenet_zip):
    dataset = load_dataset("tiny_imagenet", tiny_imagenet_zip)

    def targets(rgb):
        return rgb[..., :1], {"mean": rgb.mean(axis=(1, 2, 3))}

    batches = photo_batches(dataset.train_images, 32, batch_size=4, targets=targets, shuffle=True)
    gray, target = next(iter(batches))
    assert gray.shape == (4, 32, 32, 1) and target["mean"].shape == (4,)
    rgb = next(iter(photo_batches(dataset.train_images, 64, batch_size=11)))
    assert rgb.shape == (11, 64, 64, 3) and 0.0 <= float(np.min(rgb)) and float(np.max(rgb)) <= 1.0
    prior = training_ab_prior(dataset)
    assert prior.shape == (484,) and abs(prior.sum() - 1) < 1e-9


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    """40 colour photos of several sizes and formats in nested folders, 2 gray ones, 1 broken file."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    for index in range(40):
        height, width = rng.integers(40, 120, size=2)
        image = np.asarray(Image.fromarray(make_images(1, seed=index)[0]).resize((int(width), int(height))))
        folder = root / ("holiday" if index % 3 else "garden/2024")
        folder.mkdir(parents=True, exist_ok=True)
        suffix = (".jpg", ".png", ".webp", ".tif")[index % 4]
        Image.fromarray(image).save(folder / f"photo{index}{suffix}")
    Image.fromarray(make_images(1, seed=99)[0]).convert("L").save(root / "gray.png")
    Image.fromarray(np.repeat(make_images(1, seed=98)[0][..., :1], 3, axis=-1)).save(root / "gray-rgb.jpg")
    (root / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return root


def test_photo_folder_splits_by_path_skips_gray_and_broken_files(photo_folder, capsys):
    dataset = load_dataset("photo_folder", photo_folder)
    assert dataset.skipped_gray == 2 and "broken.jpg" in capsys.readouterr().out
    assert len(dataset.train_images) + len(dataset.test_photos) == 40
    assert not set(dataset.train_images) & set(dataset.test_photos) and dataset.test_photos
    assert dataset.test.rgb.shape == (len(dataset.test_photos), 64, 64, 3)
    again = load_dataset("photo_folder", photo_folder)
    assert again.test_photos == dataset.test_photos  # the split is fixed
    batch = next(iter(photo_batches(dataset.train_images, 48, batch_size=8, shuffle=True)))
    assert batch.shape == (8, 48, 48, 3)


def test_a_photo_folder_trains_at_the_crop_size_asked_and_other_sets_refuse_one(photo_folder, tiny_imagenet_zip):
    larger = load_dataset("photo_folder", photo_folder, crop_size=96)
    assert larger.crop_size == 96 and larger.test.rgb.shape[1:] == (96, 96, 3)
    with pytest.raises(DataSourceError, match="tiny_imagenet trains at its own image size"):
        load_dataset(("tiny_imagenet", "photo_folder"), (tiny_imagenet_zip, photo_folder), crop_size=96)


def test_photo_folder_without_colour_photos_is_refused(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "gray.png")
    with pytest.raises(DataSourceError, match="no colour photos.*1 gray"):
        load_dataset("photo_folder", tmp_path)
    with pytest.raises(DataSourceError, match="does not exist"):
        load_dataset("photo_folder", tmp_path / "nowhere")


def test_a_mix_draws_each_set_at_its_weight_and_holds_out_from_both(tmp_path):
    for name, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        (tmp_path / name).mkdir()
        for index in range(30):
            Image.fromarray(np.full((40 + index, 50, 3), colour, np.uint8)).save(tmp_path / name / f"{index}.png")
    red, blue = load_dataset("photo_folder", tmp_path / "red"), load_dataset("photo_folder", tmp_path / "blue")
    mix = load_dataset(("photo_folder", "photo_folder"), (tmp_path / "red", tmp_path / "blue"), weights=(3, 1))
    assert mix.mix == ((red.train_size, 0.75), (blue.train_size, 0.25))
    assert mix.train_images == red.train_images + blue.train_images
    assert len(mix.test) == len(red.test) + len(blue.test) and set(mix.test.labels) == {0, 1}

    def red_share(rgb):
        return float(np.mean(rgb[..., 0].mean(axis=(1, 2)) > rgb[..., 2].mean(axis=(1, 2))))

    batches = photo_batches(mix.train_images, 32, batch_size=50, shuffle=True, mix=mix.mix, seed=1)
    crops = np.concatenate(list(batches.take(8).as_numpy_iterator()))  # without end: 400 of 51 photos
    assert crops.shape == (400, 32, 32, 3) and 0.68 < red_share(crops) < 0.82
    assert 0.68 < red_share(decoded_training_sample(mix, 400)) < 0.82  # what the ab prior is counted on
    with pytest.raises(DataSourceError, match="one --data path for each"):
        load_dataset(("photo_folder", "photo_folder"), (tmp_path / "red",))
    with pytest.raises(DataSourceError, match="one --data path for each"):
        load_dataset(("photo_folder", "photo_folder"), tmp_path / "red")  # one folder does not serve two sets
    with pytest.raises(DataSourceError, match="as many weights"):
        load_dataset(("photo_folder", "photo_folder"), (tmp_path / "red", tmp_path / "blue"), weights=(1,))


def _tiny_zip(path, train, val, annotations, wnids=WNIDS):
    """A zip in tiny-imagenet-200.zip's layout from {member name: bytes} of train and val images."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tiny-imagenet-200/wnids.txt", "\n".join(wnids) + "\n")
        for name, data in {**train, **val}.items():
            archive.writestr(f"tiny-imagenet-200/{name}", data)
        if annotations is not None:
            archive.writestr("tiny-imagenet-200/val/val_annotations.txt", annotations)
    return path


def _jpegs(count, seed, mode="RGB"):
    from tests.conftest import _jpeg_bytes

    return [_jpeg_bytes(image, mode) for image in make_images(count, seed)]


def test_tiny_imagenet_names_and_skips_damaged_members(tmp_path, capsys):
    good = _jpegs(6, seed=3)
    train = {f"train/{WNIDS[i % 2]}/images/{WNIDS[i % 2]}_{i}.JPEG": good[i] for i in range(4)}
    train[f"train/{WNIDS[0]}/images/{WNIDS[0]}_8.JPEG"] = b"this is not an image"
    train[f"train/{WNIDS[1]}/images/{WNIDS[1]}_9.JPEG"] = good[4][: len(good[4]) // 2]  # cut short
    train["train/n99999999/images/n99999999_0.JPEG"] = good[5]  # a class wnids.txt does not list
    val = {f"val/images/val_{i}.JPEG": image for i, image in enumerate(_jpegs(4, seed=4))}
    annotations = (f"val_0.JPEG\t{WNIDS[0]}\t0\t0\t63\t63\nval_1.JPEG\t{WNIDS[1]}\t0\t0\t63\t63\n"
                   "val_2.JPEG\tn12345678\t0\t0\t63\t63\nbroken line without tabs\n")  # val_3: no line at all
    dataset = load_dataset("tiny_imagenet", _tiny_zip(tmp_path / "tiny.zip", train, val, annotations))
    out = capsys.readouterr().out
    assert len(dataset.train_images) == 4 and len(dataset.test) == 2
    for named in ("_8.JPEG: not a readable image", "_9.JPEG: not a readable image", "n99999999_0.JPEG: its folder",
                  "val_2.JPEG: val_annotations.txt names class 'n12345678'", "val_3.JPEG: no line",
                  "line 4 of"):
        assert named in out


@pytest.mark.parametrize("fault, message", [
    ("no annotations", "lacks tiny-imagenet-200/val/val_annotations.txt"),
    ("every photo gray", r"no usable training photos \(7 gray ones skipped"),
    ("no known class", "no usable validation photos"),
])
def test_tiny_imagenet_with_nothing_usable_is_refused_in_one_line(tmp_path, fault, message):
    train = {f"train/{WNIDS[0]}/images/{WNIDS[0]}_{i}.JPEG": image
             for i, image in enumerate(_jpegs(4, seed=5, mode="L" if fault == "every photo gray" else "RGB"))}
    val = {f"val/images/val_{i}.JPEG": image
           for i, image in enumerate(_jpegs(3, seed=6, mode="L" if fault == "every photo gray" else "RGB"))}
    wnid = "n00000000" if fault == "no known class" else WNIDS[0]
    annotations = None if fault == "no annotations" else "".join(f"val_{i}.JPEG\t{wnid}\n" for i in range(3))
    with pytest.raises(DataSourceError, match=message):
        load_dataset("tiny_imagenet", _tiny_zip(tmp_path / "tiny.zip", train, val, annotations))


def test_class_labels_travel_with_their_images_through_loads_mixes_and_batches(tiny_imagenet_zip, tmp_path):
    tiny = load_dataset("tiny_imagenet", tiny_imagenet_zip)
    assert len(tiny.train_labels) == tiny.train_size and set(tiny.train_labels) == {0, 1}
    for name, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        (tmp_path / name).mkdir()
        for index in range(20):
            Image.fromarray(np.full((40, 50, 3), colour, np.uint8)).save(tmp_path / name / f"{index}.png")
    folder = load_dataset("photo_folder", tmp_path / "red")
    assert folder.train_labels == ()
    mix = load_dataset(("photo_folder", "tiny_imagenet"), (tmp_path / "red", tiny_imagenet_zip))
    assert mix.train_labels == (-1,) * folder.train_size + tuple(label + 1 for label in tiny.train_labels)
    # each crop keeps its own image's label, in a stream of one set and in a mix, shuffled
    red, blue = (load_dataset("photo_folder", tmp_path / name) for name in ("red", "blue"))
    images = red.train_images + blue.train_images
    labels = [1] * red.train_size + [0] * blue.train_size

    def targets(rgb):
        return rgb[..., :1], {"red": (rgb[..., 0].mean(axis=(1, 2)) > 0.5).astype(np.int64)}

    for mix_weights in (None, ((red.train_size, 0.5), (blue.train_size, 0.5))):
        batches = photo_batches(images, 32, batch_size=8, targets=targets, shuffle=True, seed=2, labels=labels,
                                mix=mix_weights)
        for _, target in batches.take(3).as_numpy_iterator():
            assert set(target) == {"red", "class"} and np.array_equal(target["class"], target["red"])
