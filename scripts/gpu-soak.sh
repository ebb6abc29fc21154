#!/usr/bin/env bash
# gpu-soak.sh: heavy GPU runs of the otplay binary, counting those that die
# by a signal. Made for lavapipe on a loaded machine, where these commands
# used to segfault inside libvulkan_lvp.so (wgpu-native's 5 s blocking
# poll; see the gpu package doc).
#
#   scripts/gpu-soak.sh [RUNS] [OTPLAY]     (defaults: 100, bin/otplay)
#
# The runs cycle through four reproducers from issue 9: sliced with 20,000
# projections on 500 points in 5-D; Sinkhorn at n = 2304 in 5-D and in
# 9-D; Sinkhorn at n = 16000 in 2-D. Each run's exit status and time go to
# stdout; the last line counts runs, deaths by a signal and other
# failures. Exits 1 when any run died by a signal or failed.
set -u
runs=${1:-100}
bin=${2:-bin/otplay}
[ -x "$bin" ] || { echo "gpu-soak: $bin is not an executable (make build)" >&2; exit 2; }
ulimit -c 0
cases=(
	"solve --method sliced --projections 20000 --x gaussian:500:d=5:seed=1 --y gaussian:500:d=5:seed=2"
	"solve --method sinkhorn --eps 0.5 --iters 200 --x gaussian:2304:d=5:seed=1 --y gaussian:2304:d=5:seed=2"
	"solve --method sinkhorn --eps 0.5 --iters 20 --x gaussian:2304:d=9:seed=1 --y gaussian:2304:d=9:seed=2"
	"solve --method sinkhorn --eps 0.1 --iters 10 --x moons:16000:seed=1 --y 8gaussians:16000:seed=2"
)
signalled=0
failed=0
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT
for ((i = 0; i < runs; i++)); do
	args=${cases[i % ${#cases[@]}]}
	start=$(date +%s.%N)
	# shellcheck disable=SC2086 # the case strings are split on purpose
	"$bin" $args --backend gpu --json >/dev/null 2>"$errlog"
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	what=ok
	if ((rc > 128)); then
		signalled=$((signalled + 1))
		what="died by signal $((rc - 128)) ($(kill -l $((rc - 128))))"
	elif ((rc != 0)); then
		failed=$((failed + 1))
		what="failed: $(tail -c 300 "$errlog" | tr '\n' ' ')"
	fi
	printf '%3d rc=%d %6.1fs %s | %s\n' "$((i + 1))" "$rc" "$secs" "$what" "$args"
done
echo "gpu-soak: $runs runs, $signalled died by a signal, $failed failed otherwise ($(uptime | sed 's/.*load/load/'))"
((signalled == 0 && failed == 0))
