# otplay's tasks. `make run` serves the playground; `make test` runs every
# test (installing what the tests need where it is missing).

GO        ?= go
ADDR      ?= 127.0.0.1:8080
# Native builds use Go's experimental SIMD package for the fast CPU
# backend's vector soft-min (AVX2, checked at run time; a scalar loop
# otherwise). The wasm build does not need it.
export GOEXPERIMENT := simd
WASM      := web/app.wasm
# Packages that must also build for the browser.
JS_PKGS   := ./gpu/... ./shaders/... ./compute/... ./solvers/... ./ui/... ./wasm/...
GOFILES   := $(shell find . -name '*.go' -not -path './.*' 2>/dev/null)

.PHONY: all run test deps wasm build vet fmt bench bench-gpu e2e clean help

all: build wasm

help:
	@echo "make run    build everything and serve the playground on http://$(ADDR)"
	@echo "make test   install test dependencies if missing, then vet and run every test"
	@echo "make wasm   build $(WASM) (GOOS=js GOARCH=wasm) and its gzip"
	@echo "make build  build bin/otplay"
	@echo "make bench  CPU and GPU benchmarks (go test -bench)"
	@echo "make e2e    only the browser end-to-end tests"
	@echo "make fmt | vet | clean"

build:
	$(GO) build -o bin/otplay ./cmd/otplay

$(WASM): $(GOFILES) go.mod go.sum
	GOEXPERIMENT= GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $(WASM) ./wasm
	gzip -9 -k -f $(WASM)

wasm: $(WASM)

run: build wasm
	./bin/otplay serve --addr $(ADDR)

# deps installs the Vulkan CPU driver (lavapipe) for native GPU tests and
# Chromium for the browser tests, on Debian/Ubuntu, when they are missing.
deps:
	@bash scripts/install-test-deps.sh

vet:
	$(GO) vet ./...
	GOEXPERIMENT= GOOS=js GOARCH=wasm $(GO) vet $(JS_PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# OTPLAY_REQUIRE_GPU / OTPLAY_REQUIRE_BROWSER / OTPLAY_REQUIRE_PYTHON turn "no GPU" /
# "no Chromium" / "no numpy and POT in /usr/bin/python3"
# into failures instead of skips: after `deps`, all must exist.
test: deps wasm
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(MAKE) vet
	OTPLAY_REQUIRE_GPU=1 OTPLAY_REQUIRE_BROWSER=1 OTPLAY_REQUIRE_PYTHON=1 OTPLAY_WASM=$(CURDIR)/$(WASM) $(GO) test -timeout 20m ./...
	@# The compute layer once more without the SIMD experiment: the scalar fast path.
	GOEXPERIMENT= $(GO) test -count=1 ./compute/...

e2e: deps wasm
	OTPLAY_REQUIRE_BROWSER=1 OTPLAY_WASM=$(CURDIR)/$(WASM) $(GO) test -count=1 -v ./e2e/...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./compute/... ./solvers/...

# bench-gpu: the GPU benchmarks only (run on the accelerator machine).
bench-gpu:
	$(GO) test -run '^$$' -bench 'GPU' -benchtime 10x ./compute/webgpu/...

clean:
	rm -rf bin $(WASM) $(WASM).gz
