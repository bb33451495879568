# The two commands of the README: `make run` and `make test`. Both set everything up first.
.PHONY: run test setup deps test-deps data build unit-test notebook-test bench fuzz docs clean

run: setup
	bin/nbrun notebooks/backprop.md
	@echo "report: $(CURDIR)/output/backprop.html"

test: setup test-deps unit-test notebook-test

setup:
	scripts/setup

deps:
	scripts/setup deps

# Packages only the tests need (headless Chromium): `make test` installs them, `make run` does not.
test-deps:
	scripts/setup test-deps

data:
	scripts/setup data

build:
	scripts/setup build

unit-test:
	swift test

notebook-test:
	bin/nbrun test --rerun notebooks/

bench:
	swift run -c release benchmarks engine
	swift run -c release benchmarks plot
	swift run -c release benchmarks runner

# libFuzzer on each parser of user and file input (Fuzz/), FUZZ_SECONDS each (default 120), one
# after the other; not part of `make test`. Builds in .build-fuzz. `scripts/fuzz --help` for more.
FUZZ_SECONDS ?= 120
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz

# The engine's API reference, built by DocC (swift-docc-plugin) from the doc comments into
# output/docs, one combined site for the engine's modules (not committed). Serve the folder
# to read it, e.g. `python3 -m http.server -d output/docs`, then open /documentation.
ENGINE_MODULES := TensorCore Autodiff NeuralNetwork Optimizers Datasets Plotting
docs:
	mkdir -p output
	swift package --allow-writing-to-directory output/docs generate-documentation \
		$(addprefix --target ,$(ENGINE_MODULES)) --enable-experimental-combined-documentation \
		--output-path output/docs
	@echo "API reference: $(CURDIR)/output/docs (serve it: python3 -m http.server -d output/docs)"

clean:
	rm -rf .build .build-fuzz output
