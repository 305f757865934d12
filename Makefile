# Two commands for a fresh machine with Python 3.10-3.13 and internet access:
#   make experiment   # trains and evaluates conv -> flatten -> dense (experiments/conv_flatten_dense.py)
#   make test         # the whole test suite
# Each first creates .venv and installs the package into it. Pass script options with ARGS, e.g.
#   make experiment ARGS="--data ../shared/data/cifar10-jpeg"
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install experiment test compare benchmark default-model

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

experiment: install
	$(BIN)/python experiments/conv_flatten_dense.py $(ARGS)

test: install
	$(BIN)/python -m pytest $(ARGS)

compare: install
	$(BIN)/python experiments/compare.py $(ARGS)

benchmark: install
	$(BIN)/python benchmarks/train_throughput.py $(ARGS)

# The bundled model (colorize_cnn/weights/default.keras) is the U-Net classification experiment's result:
default-model: install
	$(BIN)/python experiments/unet_classification.py $(ARGS)
	mkdir -p colorize_cnn/weights
	cp runs/unet_classification/model.keras colorize_cnn/weights/default.keras
