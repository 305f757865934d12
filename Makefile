# Two commands for a fresh machine with Python 3.10-3.13 and internet access:
#   make experiment   # trains and evaluates conv -> flatten -> dense (experiments/conv_flatten_dense.py)
#   make test         # the whole test suite
# Each first creates .venv and installs the package into it. Pass script options with ARGS, e.g.
#   make experiment ARGS="--data ../shared/data/cifar10-jpeg"
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install experiment test compare photos benchmark default-model onnx notebook

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

experiment: install
	$(BIN)/python experiments/conv_flatten_dense.py $(ARGS)

# one worker a core (pytest-xdist), each test file in one worker: its module fixtures stay shared
test: install
	$(BIN)/python -m pytest -n auto --dist loadfile $(ARGS)

compare: install
	$(BIN)/python experiments/compare.py $(ARGS)

benchmark: install
	$(BIN)/python benchmarks/train_throughput.py $(ARGS)

photos: install
	$(BIN)/python experiments/photos.py --tiny-imagenet $(TINY) --bsds500 $(BSDS) $(if $(FULL),--held-out-from $(FULL)) $(ARGS)

# The bundled default (colorize_cnn/weights/unet_photo_mix_large.keras, and its .json: its vividness
# and balance) is the photo model (unet_photo) grown by two dilated blocks and fine-tuned on the Tiny
# ImageNet subset and BSDS500 train mixed 3:1; the previous default (unet_photo_mix) is the same
# fine-tune of the network as it was. All three are trained and bundled here; their decodings as
# bundled were then chosen by `make photos FULL=... ARGS=--bundle-choices`, which also holds them to
# Tiny ImageNet training images they never saw. TINY, BSDS and FULL (the full tiny-imagenet-200.zip)
# name local data.
TINY ?= ../shared/data/tiny-imagenet/tiny-imagenet-200-subset.zip
BSDS ?= ../shared/data/bsds500
FULL ?=
MIX = runs/unet_photo_mix-tiny75
LARGE = runs/unet_photo_mix_large
default-model: install
	$(BIN)/python experiments/unet_photo.py --data $(TINY) --choose-on $(BSDS)/val $(BSDS)/train $(ARGS)
	cp runs/unet_photo/model.keras colorize_cnn/weights/unet_photo.keras
	cp runs/unet_photo/model.json colorize_cnn/weights/unet_photo.json
	$(BIN)/python experiments/unet_photo_mix.py --data $(TINY) $(BSDS)/train --dataset-weights 0.75 0.25 \
		--out $(MIX) $(ARGS)
	cp $(MIX)/model.keras colorize_cnn/weights/unet_photo_mix.keras
	cp $(MIX)/model.json colorize_cnn/weights/unet_photo_mix.json
	$(BIN)/python experiments/unet_photo_mix_large.py --data $(TINY) $(BSDS)/train --out $(LARGE) $(ARGS)
	cp $(LARGE)/model.keras colorize_cnn/weights/unet_photo_mix_large.keras
	$(BIN)/python -m colorize_cnn.export colorize_cnn/weights/unet_photo.keras colorize_cnn/weights/unet_photo_mix.keras \
		colorize_cnn/weights/unet_photo_mix_large.keras

# Every bundled .keras model as ONNX beside it (what colorizing runs on), each checked against its Keras
# model before it is kept (colorize_cnn/export.py; tests/test_onnx.py checks the committed files again).
onnx: install
	$(BIN)/python -m colorize_cnn.export $(ARGS)

# Re-runs notebooks/tour.ipynb top to bottom and saves it with its outputs (the committed copy
# shows them on the repository page). DATA names a local CIFAR-10 copy (absolute, or relative to this
# folder); DATA= (empty): Keras downloads it.
DATA ?= ../shared/data/cifar10-jpeg
notebook: install
	cd notebooks && COLORIZE_CNN_DATA=$(if $(DATA),$(if $(filter /%,$(DATA)),$(DATA),../$(DATA))) \
		../$(BIN)/jupyter-execute --inplace tour.ipynb
