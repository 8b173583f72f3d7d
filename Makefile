# SPDX-License-Identifier: Apache-2.0
# Thin wrapper around CMake (CMakeLists.txt), which does the real build.
#
# Building never installs anything: a missing library stops the configure
# with the Debian package to install. Only the README's two commands,
# `make demo` and `make test` (and `make bench`, for its peer tools), first
# install what is missing, through `make deps` (scripts/deps, apt-get).

BUILD     ?= build
BUILD_SAN ?= build-san
BUILD_DEB ?= build-deb
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
# The local builds link libgit2 and the libraries mech always loads from
# their archives: a command starts in 0.9 ms of CPU instead of 4.6 ms
# (bench/RESULTS.md, bench/bench_startup.sh).
# The package never does (`make package`).
LOCAL_FLAGS = -DMECH_WERROR=ON -DMECH_STATIC_DEPS=ON

.PHONY: all deps build build-san test test-fast demo bench package fuzz fuzz-brief clean format

all: build

deps:
	@scripts/deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(LOCAL_FLAGS) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD_SAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_SAN) $(LOCAL_FLAGS) -DMECH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)

build-san: $(BUILD_SAN)/CMakeCache.txt
	cmake --build $(BUILD_SAN) -j $(JOBS)

# The whole suite, then again under ASan/UBSan (a brief fuzz run first).
# Installing comes first, before anything is configured.
test: deps
	$(MAKE) --no-print-directory build build-san fuzz-brief
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# Only the plain build (for quick iterations; installs nothing).
test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: deps
	$(MAKE) --no-print-directory build
	$(BUILD)/mech demo

bench:
	@scripts/deps tig hyperfine
	$(MAKE) --no-print-directory build
	bench/run

# The Debian package, from its own build: prefix /usr (the binary looks for
# its themes where the package puts them, /usr/share/mech/themes) and the
# shared libraries, so the distribution's security updates of libgit2,
# mbedTLS, readline… reach mech without a rebuild.
package:
	cmake -S . -B $(BUILD_DEB) -DMECH_WERROR=ON -DMECH_TESTS=OFF -DMECH_STATIC_DEPS=OFF \
		-DCMAKE_INSTALL_PREFIX=/usr -DMECH_SOURCE_THEMES_LOOKUP=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD_DEB) -j $(JOBS)
	cd $(BUILD_DEB) && cpack -G DEB

# libFuzzer harnesses (clang): each runs MECH_FUZZ_SECONDS (default 60) on its seed corpus.
fuzz:
	CC=clang cmake -S . -B build-fuzz -DMECH_FUZZ=ON -DMECH_TESTS=OFF
	cmake --build build-fuzz -j $(JOBS) --target fuzz_run

fuzz-brief:
	CC=clang cmake -S . -B build-fuzz -DMECH_FUZZ=ON -DMECH_TESTS=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_brief

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz $(BUILD_DEB)

# Format the C sources the lint/format test checks (scripts/format).
format:
	scripts/format
