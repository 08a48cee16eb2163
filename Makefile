# Thin wrapper: installs what is missing (Debian 12), configures, builds, runs.
#   make run     build and start the server on ./data/fazt.db (created on first run)
#   make test    build and run every test (CTest)
#   make bench   build and run the benchmarks (tests/bench)
#   make console build and start the Fazt Console (the desktop app)
#   make package build the Debian packages fazt and fazt-console (in $(BUILD)/)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DB ?= data/fazt.db

.PHONY: all deps build run console test bench package clean format

all: build

deps:
	@bash installers/deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p $(dir $(DB))
	$(BUILD)/server/fazt server start --db $(DB)

console: build
	$(BUILD)/desktop/fazt-console

test:
	@bash installers/deps.sh test
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

package:
	@bash installers/deps.sh package
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && cpack -G DEB

bench:
	@bash installers/deps.sh bench
	@$(MAKE) --no-print-directory build
	bash tests/bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
