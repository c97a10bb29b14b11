# Build, test, demo and benchmark entry points. `make test` is what CI runs (.ci/run).
#
#   make build      release build of .build/release/tincd (Swift runtime linked in)
#   make test       dependencies, release build, unit tests, interop and automatic-tinc tests (root)
#   make demo       our tincd and upstream tincd ping each other in two namespaces, then three
#                   automatic-tinc hosts build a mesh from etcd (root)
#   make bench      throughput and memory of ours against upstream; updates Docs/BENCHMARKS.md (root)
#   make clean      remove build products

# The toolchain lives at /opt/swift on the project's machines; a swift found earlier in PATH wins.
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
TINCD_OURS ?= $(CURDIR)/.build/release/tincd
export TINCD_OURS

.PHONY: all deps build unit-test interop automatic-test test demo bench clean

# The steps of `make test` must run in order even under `make -j`.
.NOTPARALLEL:

all: build

deps:
	bash scripts/install-deps.sh

# The Swift runtime is linked statically: the binaries run on hosts without a Swift toolchain
# (the container's runtime stage has none), and each daemon maps about 3 MB less memory.
build:
	$(SWIFT) build -c release --static-swift-stdlib

# Debug build; fails when no test ran or a test was skipped (see scripts/swift-test.sh).
unit-test:
	bash scripts/swift-test.sh

interop:
	bash Tests/interop/run.sh

automatic-test:
	bash Tests/automatic/run.sh

# Runs every suite even when an earlier one failed, so one CI run reports all of them.
test: deps build
	@unit_status=0; \
	bash scripts/swift-test.sh || unit_status=$$?; \
	interop_status=0; \
	bash Tests/interop/run.sh || interop_status=$$?; \
	automatic_status=0; \
	bash Tests/automatic/run.sh || automatic_status=$$?; \
	if [ $$unit_status != 0 ]; then echo "make test: unit tests failed (swift-test status $$unit_status)"; fi; \
	if [ $$interop_status != 0 ]; then echo "make test: interop tests failed (run.sh status $$interop_status)"; fi; \
	if [ $$automatic_status != 0 ]; then echo "make test: automatic-tinc tests failed (run.sh status $$automatic_status)"; fi; \
	[ $$unit_status = 0 ] && [ $$interop_status = 0 ] && [ $$automatic_status = 0 ]

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh

clean:
	rm -rf .build
