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
JS_PKGS   := ./gpu/... ./shaders/... ./compute/... ./figure/... ./solvers/... ./play/... ./ui/... ./wasm/...
GOFILES   := $(shell find . -name '*.go' -not -path './.*' 2>/dev/null)
# webview_go asks pkg-config for webkit2gtk-4.0; where only 4.1 exists
# (Debian 12 and newer) scripts/pkgconfig aliases it.
WEBVIEW_ENV := $(shell pkg-config --exists webkit2gtk-4.0 2>/dev/null || echo PKG_CONFIG_PATH=$(CURDIR)/scripts/pkgconfig$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH})

.PHONY: all run test deps wasm build app vet fmt bench bench-gpu e2e clean help

all: build

help:
	@echo "make run    build everything and serve the playground on http://$(ADDR)"
	@echo "make test   install test dependencies if missing, then vet and run every test"
	@echo "make wasm   build $(WASM) (GOOS=js GOARCH=wasm) and its gzip"
	@echo "make build  build bin/otplay with the playground inside (runs make wasm)"
	@echo "make app    build bin/otplay with the playground and the desktop window (WebKitGTK)"
	@echo "make bench  CPU and GPU benchmarks (go test -bench)"
	@echo "make e2e    only the browser end-to-end tests"
	@echo "make fmt | vet | clean"

# LDFLAGS stamps the commit into otplay version.
LDFLAGS   = -X main.commit=$$(git rev-parse HEAD 2>/dev/null)$$(git diff --quiet HEAD 2>/dev/null || echo +modified)

# build embeds web/ and the gzipped wasm (the playground tag, package
# web), so the binary serves, exports and opens the playground from any
# folder. A plain go build / go install leaves the playground out.
build: wasm
	$(GO) build -tags playground -ldflags "$(LDFLAGS)" -o bin/otplay ./cmd/otplay

# app adds the desktop window (otplay app): cgo and WebKitGTK
# (libwebkit2gtk-4.1-dev on Debian) on Linux.
app: wasm
	$(WEBVIEW_ENV) $(GO) build -tags playground,webview -ldflags "$(LDFLAGS)" -o bin/otplay ./cmd/otplay

$(WASM): $(GOFILES) go.mod go.sum
	GOEXPERIMENT= GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $(WASM) ./wasm
	gzip -9 -k -f $(WASM)

wasm: $(WASM)

run: build
	./bin/otplay serve --addr $(ADDR)

# deps installs the Vulkan CPU driver (lavapipe) for native GPU tests and
# Chromium for the browser tests, on Debian/Ubuntu, when they are missing.
deps:
	@bash scripts/install-test-deps.sh

vet:
	$(GO) vet ./...
	$(WEBVIEW_ENV) $(GO) vet -tags webview ./cmd/otplay
	GOEXPERIMENT= GOOS=js GOARCH=wasm $(GO) vet $(JS_PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# OTPLAY_REQUIRE_GPU / OTPLAY_REQUIRE_BROWSER / OTPLAY_REQUIRE_PYTHON turn "no GPU" /
# "no Chromium" / "no numpy and POT in /usr/bin/python3"
# into failures instead of skips: after `deps`, all must exist. The e2e
# tests build otplay with the playground tag (TestStaticSite) and with the
# webview tag (TestDesktopApp, under Xvfb) from the wasm built here.
test: deps wasm
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(MAKE) vet
	OTPLAY_REQUIRE_GPU=1 OTPLAY_REQUIRE_BROWSER=1 OTPLAY_REQUIRE_PYTHON=1 OTPLAY_WASM=$(CURDIR)/$(WASM) $(GO) test -timeout 20m ./...
	@# bench/gpu/report.py (the README's GPU speed tables) on checked-in rows.
	python3 bench/gpu/report_test.py
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
