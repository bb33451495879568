# The two commands of the README: `make run` and `make test`. Both set everything up first.
.PHONY: run test setup deps test-deps data build unit-test notebook-test bench clean

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
	bin/nbrun test notebooks/

bench:
	swift run -c release benchmarks engine
	swift run -c release benchmarks plot
	swift run -c release benchmarks runner

clean:
	rm -rf .build output
