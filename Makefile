# Thin wrapper: install what is missing, configure, build, then run.
# The real build is CMake (CMakeLists.txt).

BUILD     ?= build
BUILD_SAN ?= build-san
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build build-san test test-fast demo bench package fuzz fuzz-brief clean format

all: build

deps:
	@scripts/deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DMECH_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD_SAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_SAN) -DMECH_WERROR=ON -DMECH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)

build-san: deps $(BUILD_SAN)/CMakeCache.txt
	cmake --build $(BUILD_SAN) -j $(JOBS)

# The whole suite, then again under ASan/UBSan (a brief fuzz run first).
test: build build-san fuzz-brief
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

# Only the plain build (for quick iterations).
test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/mech demo

bench: build
	@scripts/deps tig hyperfine
	bench/run

# The Debian package, from its own build with prefix /usr: the binary looks
# for its themes where the package puts them (/usr/share/mech/themes).
BUILD_DEB ?= build-deb
package: deps
	cmake -S . -B $(BUILD_DEB) -DMECH_WERROR=ON -DMECH_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr -DMECH_SOURCE_THEMES_LOOKUP=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD_DEB) -j $(JOBS)
	cd $(BUILD_DEB) && cpack -G DEB

# libFuzzer harnesses (clang): each runs MECH_FUZZ_SECONDS (default 60) on its seed corpus.
fuzz:
	CC=clang cmake -S . -B build-fuzz -DMECH_FUZZ=ON -DMECH_TESTS=OFF
	cmake --build build-fuzz -j $(JOBS) --target fuzz_run

fuzz-brief: deps
	CC=clang cmake -S . -B build-fuzz -DMECH_FUZZ=ON -DMECH_TESTS=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_brief

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz $(BUILD_DEB)

format:
	clang-format -i core/*.c core/include/mech/*.h shell/*.c shell/*.h tui/*.c tui/*.h sim/*.c sim/*.h
