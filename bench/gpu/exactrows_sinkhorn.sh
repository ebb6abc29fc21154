# bench/gpu/exactrows_sinkhorn.sh: the d = 2 Sinkhorn iteration and soft-min at 1e4 with and
# without the exact-rows redo (OTPLAY_EXACT_ROWS=0), four rounds alternating; otplay bench --json
# arrays one after the other (results/exactrows-sinkhorn-h100-2026-12-06.json: 0.096-0.097 ms with
# the redo, 0.097-0.098 ms without; the soft-min 0.042-0.043 ms both). From the repository root on
# the device, with .devbin/otplay: bash bench/gpu/exactrows_sinkhorn.sh
. bench/gpu/device-env.sh
for r in 1 2 3 4; do
  for v in default noexact; do
    if [ $v = noexact ]; then export OTPLAY_EXACT_ROWS=0; else unset OTPLAY_EXACT_ROWS; fi
    .devbin/otplay bench --backend gpu --kernel sinkhorn,softmin --d 2 --sizes 1e4 --batch 50 --json 2>/dev/null | sed "s/^{/{\"variant\":\"$v-r$r\",/"
  done
done
