"""Small data the tests make themselves: official-format CIFAR batches and image folders."""

import os
import pickle
import tarfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from colorize_cnn.data import CLASS_NAMES  # noqa: E402

IMAGES_PER_BATCH = 20
SMALL = {"conv_flatten_dense": {"filters": 2}, "batchnorm_conv_flatten_dense": {"filters": 2},  # fast model sizes
         "unet_regression": {"base_filters": 4}, "unet_classification": {"base_filters": 4},
         "unet_photo": {"base_filters": 4}, "unet_photo_context": {"base_filters": 4}, "unet_hints": {"base_filters": 4}}


def make_images(count, seed):
    """Smooth colour images (a few colour blobs on a gradient), uint8 (count, 32, 32, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:32, 0:32] / 31.0
    images = np.empty((count, 32, 32, 3), dtype=np.float64)
    for index in range(count):
        base = rng.uniform(0.2, 0.8, size=3)
        tilt = rng.uniform(-0.3, 0.3, size=(2, 3))
        image = base + x[..., None] * tilt[0] + y[..., None] * tilt[1]
        cy, cx = rng.uniform(8, 24, size=2)
        blob = np.exp(-(((y * 31 - cy) ** 2 + (x * 31 - cx) ** 2) / 40.0))[..., None]
        image = image * (1 - blob) + blob * rng.uniform(0, 1, size=3)
        images[index] = image
    return np.clip(images * 255, 0, 255).astype(np.uint8)


def _write_batch(path, images, labels):
    data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    with open(path, "wb") as file_object:
        pickle.dump({b"data": data, b"labels": list(map(int, labels)), b"batch_label": b"fake"}, file_object)


@pytest.fixture(scope="session")
def cifar_batches(tmp_path_factory):
    """A cifar-10-batches-py folder with 5 x 20 training and 20 test images (2 per class)."""
    folder = tmp_path_factory.mktemp("cifar") / "cifar-10-batches-py"
    folder.mkdir()
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for seed, name in enumerate(names):
        labels = np.arange(IMAGES_PER_BATCH) % 10
        _write_batch(folder / name, make_images(IMAGES_PER_BATCH, seed), labels)
    return folder


@pytest.fixture(scope="session")
def cifar_tarball(cifar_batches, tmp_path_factory):
    path = tmp_path_factory.mktemp("tarball") / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(cifar_batches, arcname="cifar-10-batches-py")
    return path


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory):
    """train/<class>/*.png (3 per class) and test/<class>/*.jpg (1 per class), as the JPEG copy."""
    from PIL import Image

    root = tmp_path_factory.mktemp("images")
    for split, count, suffix in (("train", 3, ".png"), ("test", 1, ".jpg")):
        for label, class_name in enumerate(CLASS_NAMES):
            folder = root / split / class_name
            folder.mkdir(parents=True)
            for index, image in enumerate(make_images(count, seed=100 * label + count)):
                Image.fromarray(image).save(folder / f"{index:04d}{suffix}")
    return root


@pytest.fixture(scope="session")
def tiny_unet_file(tmp_path_factory):
    """An untrained small U-Net saved as .keras (a stand-in colorizer for file and CLI tests)."""
    from colorize_cnn.models import build_model

    path = tmp_path_factory.mktemp("models") / "tiny_unet.keras"
    build_model("unet_regression", base_filters=4).save(path)
    return path


WNIDS = ("n01443537", "n01629819")


def _jpeg_bytes(image, mode="RGB"):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).convert(mode).resize((64, 64)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def tiny_imagenet_zip(tmp_path_factory):
    """tiny-imagenet-200.zip's layout: 2 classes x 6 training images (one of them gray), 4 val images."""
    path = tmp_path_factory.mktemp("tiny") / "tiny-imagenet-200.zip"
    images = make_images(16, seed=7)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tiny-imagenet-200/wnids.txt", "\n".join(WNIDS) + "\n")
        archive.writestr("tiny-imagenet-200/words.txt", "")
        for index in range(12):
            wnid = WNIDS[index % 2]
            mode = "L" if index == 11 else "RGB"
            archive.writestr(f"tiny-imagenet-200/train/{wnid}/images/{wnid}_{index}.JPEG", _jpeg_bytes(images[index], mode))
        lines = []
        for index in range(4):
            archive.writestr(f"tiny-imagenet-200/val/images/val_{index}.JPEG", _jpeg_bytes(images[12 + index]))
            lines.append(f"val_{index}.JPEG\t{WNIDS[index % 2]}\t0\t0\t63\t63")
        archive.writestr("tiny-imagenet-200/val/val_annotations.txt", "\n".join(lines) + "\n")
    return path




@pytest.fixture(scope="session")
def bsds_folder(tmp_path_factory):
    """val/, train/ and test/ with a few whole colour photos of 481 x 321 and 321 x 481, as BSDS500."""
    from PIL import Image

    root = tmp_path_factory.mktemp("bsds500")
    for split, count in (("val", 3), ("train", 2), ("test", 4)):
        (root / split).mkdir()
        for index, image in enumerate(make_images(count, seed=50 + count)):
            size = (481, 321) if index % 2 else (321, 481)
            Image.fromarray(image).resize(size).save(root / split / f"{1000 + index}.jpg", quality=90)
    return root
