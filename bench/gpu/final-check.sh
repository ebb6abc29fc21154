# bench/gpu/final-check.sh: the last H100 call of 2026-12-06 (12:35 UTC): otplay validate --backend gpu,
# bench/gpu/special.sh (the special values' redo, column pass "new" against OTPLAY_EXACT_COLUMNS=0 "old"),
# and the plain rows new/old in two alternating rounds. From the repository root on the device, with
# .devbin/otplay. Results: results/validate-final-h100-2026-12-06.txt, special-h100-2026-12-06.jsonl,
# special-plain-h100-2026-12-06.jsonl.
. bench/gpu/device-env.sh
B=.devbin/otplay
nvidia-smi -L > $OUT/device.txt 2>&1
timeout 100 $B validate --backend gpu > $OUT/validate.txt 2>&1; echo "validate rc=$?" >> $OUT/log.txt
BIN=$B OUT=$OUT BUDGET=75 bash bench/gpu/special.sh
for r in 1 2; do
  for v in new old; do
    if [ $v = old ]; then E=OTPLAY_EXACT_COLUMNS=0; else E=X=1; fi
    timeout 40 env $E $B bench --backend gpu --json --kernel softmin,sinkhorn --d 2 --sizes 1e4 --batch 50 | tr -d '\n' | sed "s/{/{\"variant\":\"$v-r$r\",/g" >> $OUT/plain.jsonl; echo >> $OUT/plain.jsonl
    timeout 40 env $E $B bench --backend gpu --json --kernel softmin,softmean --d 2 --sizes 1e5 --batch 10 | tr -d '\n' | sed "s/{/{\"variant\":\"$v-r$r\",/g" >> $OUT/plain.jsonl; echo >> $OUT/plain.jsonl
    timeout 40 env $E $B bench --backend gpu --json --kernel softmin --d 64 --sizes 1e4 --batch 20 | tr -d '\n' | sed "s/{/{\"variant\":\"$v-r$r\",/g" >> $OUT/plain.jsonl; echo >> $OUT/plain.jsonl
  done
done
tail -2 $OUT/validate.txt; cat $OUT/log.txt | tail -5
