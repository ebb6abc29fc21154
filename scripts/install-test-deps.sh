#!/usr/bin/env bash
# Installs what otplay's tests need, where it is missing:
#   - a Vulkan driver for native WebGPU (Debian: mesa-vulkan-drivers, the
#     lavapipe CPU driver, so GPU kernels run on machines with no GPU);
#   - Chromium for the end-to-end browser tests (WebGPU through SwiftShader);
#   - Xvfb and WebKitGTK (libwebkit2gtk-4.1-dev) for the desktop window's
#     test (otplay app, built with the webview tag, under a virtual display);
#   - Python 3 with numpy and POT for the notebook client's tests, which
#     compare its results with POT's.
# On systems without apt-get it says what to install and exits 0: the tests
# then skip with that reason unless OTPLAY_REQUIRE_* asks them to fail.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-test-deps: no apt-get here; install a Vulkan driver (or run on a GPU) and Chromium yourself." >&2
  echo "  Linux: Mesa's lavapipe (mesa-vulkan-drivers), chromium; macOS: Metal is built in, install Chromium or Chrome." >&2
  exit 0
fi
have_pkg mesa-vulkan-drivers || need+=(mesa-vulkan-drivers)
have_pkg chromium || need+=(chromium)
for p in xvfb xauth libwebkit2gtk-4.1-dev pkg-config python3 python3-numpy python3-pot python3-scipy; do
  have_pkg "$p" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-test-deps: need root to install: ${need[*]}" >&2; exit 1
  fi
fi
echo "install-test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
