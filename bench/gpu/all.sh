#!/usr/bin/env bash
# bench/gpu/all.sh: every GPU row of the README's speed section (issue 14's
# table, the d = 2, 3 table, the high-d tables) and their PyTorch baselines
# in ONE device call, written to one file, $OUT/all.jsonl, from which
# bench/gpu/report.py prints the README's tables.
#
# Rows, in order of priority (`otplay bench --backend gpu --json`, one
# process per dimension and size, with a timeout, so that a crash or a hang
# costs that group; a group that fails other than by its timeout runs again
# one kernel at a time; a failed row is an "error" line and the run goes on):
#   1. the device: nvidia-smi, `otplay info --json`, `otplay version`;
#   2. the shipped defaults ("variant": "default"): issue 14's rows first
#      (soft-min d = 2 at 1e4 and 1e5, soft-mean d = 2 at 1e5, soft-min
#      d = 3 at 1e5, soft-min and soft-mean d = 8 at 1e5, soft-min d = 64 at
#      1e4 and 3e4, soft-mean d = 64 at 1e4, the Sinkhorn iteration d = 2 at
#      1e4), then the rest of the tables: soft-min, soft-mean and Sinkhorn
#      iteration at d = 2 (1e4, 1e5), soft-min at d = 3 (1e4, 1e5), soft-min
#      and soft-mean at d = 4, 8, 16, 32, 64, 128, 192 (1e4, 3e4, 1e5), and
#      the solver's own iteration, a residual check every 10 (`otplay bench
#      --kernel solver` at 1e4 and 1e5 where the binary has it, row ids
#      solver/d=2/n=SIZE; else `otplay solve`, 1100 against 100 iterations
#      at 1e4, solve/d=2/n=1e4);
#   3. PyTorch 2.x on the same GPU, the baselines issue 14 names:
#      torch_softmin.py (d = 2: soft-min and the Sinkhorn iteration, eager
#      with the cost stored and torch.compile, at 1e4 and 1e5) and
#      torch_highd.py at d = 64 (1e4, 3e4);
#   4. the extra variants of $VARIANTS (below);
#   5. torch_highd.py at d = 8, 16, 192, 32, 128 (1e4, 3e4), in that order;
#   6. with VALIDATE=1, `otplay validate --backend gpu`.
# A step that would start with less than MIN_LEFT seconds (8) of BUDGET
# (default 390) left is skipped and recorded as "skipped"; a step's timeout
# is its cap or the time left, whichever is less, so the call ends near
# BUDGET. Other knobs: ROW_TIMEOUT (60 s a group), TORCH_CORE_S (120 s for
# each step-3 script), TORCH_REST_S (150 s), TORCH=0 (no PyTorch), BIN, OUT,
# PY (python3). Medians of REPS (10) timings; --batch 50 calls a submission
# at 1e4 for d <= 3 (as a solver's loop records them), 10 at 1e5; 20 at 1e4
# and 3e4 for d >= 4, 2 at 1e5 (1 from d = 64). eps = 0.05 d/2, N = M
# uniform in [0, 1]^d.
#
# Extra variants (other engineers' kernels, behind environment switches of
# compute/webgpu): VARIANTS is a ';'-separated list of
#     NAME:ENV=V,ENV=V[:GLOB GLOB ...]
# Each reruns the default rows whose id matches one of the globs (all of
# them if none is given) with those variables set; the id of a row is
# KERNEL/d=D/n=SIZE, e.g. softmin/d=64/n=3e4, sinkhorn/d=2/n=1e4,
# solver/d=2/n=1e4. The variable BIN=path in a spec runs another binary.
#   VARIANTS='db:OTPLAY_HD_PF=2:softmin/d=64/* softmin/d=192/*;twopass:OTPLAY_SMALL_FORM=twopass:*/d=2/*'
#
# On the device, from the repository root (carry .gl and the directory of
# the binary):
#   BIN=.devbin/otplay bash bench/gpu/all.sh
# It prints its progress and, at the end, report.py's tables (also in
# $OUT/report.md); here, python3 bench/gpu/report.py ALL.jsonl --readme
# README.md puts them in the README.
# A smoke test here, on lavapipe, at tiny sizes (torch is skipped where it
# is absent or has no CUDA device):
#   SMOKE=1 VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json OUT=/tmp/all bash bench/gpu/all.sh
# SMOKE=1 maps the sizes 1e4, 3e4, 1e5 to 256, 384, 512 (N1E4, N3E4, N1E5
# set them one by one) and REPS to 3; row ids keep the nominal size.
set -u
cd "$(dirname "$0")/../.."
. bench/gpu/device-env.sh
BIN=${BIN:-.devbin/otplay}
OUT=${OUT:-/tmp}
BUDGET=${BUDGET:-390}
ROW_TIMEOUT=${ROW_TIMEOUT:-60}
VARIANTS=${VARIANTS:-}
VALIDATE=${VALIDATE:-0}
if [ "${SMOKE:-0}" = 1 ]; then
  : "${N1E4:=256}" "${N3E4:=384}" "${N1E5:=512}" "${REPS:=3}" "${SOLVE_ITERS:=5 15}"
fi
N1E4=${N1E4:-1e4} N3E4=${N3E4:-3e4} N1E5=${N1E5:-1e5} REPS=${REPS:-10}
SOLVE_ITERS=${SOLVE_ITERS:-100 1100}
PY=${PY:-python3}
mkdir -p "$OUT"
TMPD=$(mktemp -d) # each process's output before it becomes rows
trap 'rm -rf "$TMPD"' EXIT
JSONL=$OUT/all.jsonl
LOG=$OUT/all.log
: >"$JSONL"
: >"$LOG"
SECONDS=0

# emit KEY=VALUE ...: one JSON line from string pairs; the values of the
# keys in NUMERIC parse as JSON (numbers, lists, objects), the rest stay
# strings.
emit() {
  "$PY" - "$@" >>"$JSONL" <<'EOF'
import json, sys
NUMERIC = {"budget_s", "reps", "sizes", "ok", "rc", "d", "n", "m", "iters", "time_ms", "iter_ms", "wall_s"}
row = {}
for kv in sys.argv[1:]:
    k, _, v = kv.partition("=")
    try:
        row[k] = json.loads(v) if k in NUMERIC else v
    except ValueError:
        row[k] = v
print(json.dumps(row), flush=True)
EOF
}

# say LINE: progress, to the log and to the call's output.
say() { echo "$*" | tee -a "$LOG"; }

# left: the seconds left of BUDGET.
left() { echo $((BUDGET - SECONDS)); }

# capped CAP: CAP or the time left, whichever is less (at least 1).
capped() {
  local l
  l=$(left)
  [ "$l" -lt "$1" ] && echo $((l > 1 ? l : 1)) || echo "$1"
}

# nominal SIZE: the size the ids and the tables name (1e4, 3e4, 1e5).
actual() {
  case $1 in 1e4) echo "$N1E4" ;; 3e4) echo "$N3E4" ;; 1e5) echo "$N1E5" ;; *) echo "$1" ;; esac
}

# The default rows, in order of priority, as groups timed by one process:
# "KERNELS D SIZE" (KERNELS a comma-separated list).
groups() {
  cat <<'EOF'
softmin,softmean,sinkhorn 2 1e5
softmin,softmean,sinkhorn 2 1e4
softmin 3 1e5
softmin,softmean 8 1e5
softmin,softmean 64 1e4
softmin,softmean 64 3e4
softmin 3 1e4
EOF
  for d in 4 8 16 32 64 128 192; do
    for s in 1e4 3e4 1e5; do
      case "$d $s" in
        "8 1e5" | "64 1e4" | "64 3e4") ;;
        *) echo "softmin,softmean $d $s" ;;
      esac
    done
  done
  if [ "$HAS_SOLVER" = 1 ]; then
    echo "solver 2 1e4"
    echo "solver 2 1e5"
  else
    echo "solve 2 1e4"
  fi
}

# batch D SIZE: calls per timed submission.
batch() {
  if [ "$1" -le 3 ]; then
    [ "$2" = 1e5 ] && echo 10 || echo 50
  elif [ "$2" = 1e5 ]; then
    [ "$1" -ge 64 ] && echo 1 || echo 2
  else
    echo 20
  fi
}

# bench_group VARIANT KERNELS D SIZE [ENV=V ...]: the rows KERNELS at d = D
# and SIZE in one process. If it fails other than by its timeout, each
# kernel is run again alone, so that one bad kernel costs one row.
bench_group() {
  local variant=$1 kernels=$2 d=$3 size=$4
  shift 4
  local n bin=$BIN t0=$SECONDS rc k
  n=$(actual "$size")
  local envs=()
  for kv in "$@"; do
    case $kv in BIN=*) bin=${kv#BIN=} ;; ?*) envs+=("$kv") ;; esac
  done
  if [ "$(left)" -lt "${MIN_LEFT:-8}" ]; then
    for k in ${kernels//,/ }; do
      emit type=skipped variant="$variant" row="$k/d=$d/n=$size" why="budget of ${BUDGET}s spent"
    done
    return
  fi
  if [ "$kernels" = solve ]; then
    solve_row "$variant" "solve/d=$d/n=$size" "$d" "$size" "$n" "$bin" "${envs[@]}"
    return
  fi
  local eps cap
  eps=$(awk "BEGIN{print 0.05*$d/2}")
  cap=$(capped "$ROW_TIMEOUT")
  env "${envs[@]}" timeout -k 5 "$cap" "$bin" bench --backend gpu --json --kernel "$kernels" \
    --d "$d" --sizes "$n" --eps "$eps" --batch "$(batch "$d" "$size")" --reps "$REPS" \
    >"$TMPD/row.json" 2>"$TMPD/row.err"
  rc=$?
  if [ $rc = 0 ] && "$PY" -c 'import json, sys
variant, d, size, wall, envs = sys.argv[1:]
for r in json.load(sys.stdin):
    rid = "%s/d=%s/n=%s" % (r["kernel"], d, size)
    print(json.dumps(dict(r, type="otplay", variant=variant, row=rid, size=size, env=envs, wall_s=int(wall))), flush=True)' \
    "$variant" "$d" "$size" "$((SECONDS - t0))" "$*" <"$TMPD/row.json" >>"$JSONL" 2>>"$LOG"; then
    return
  fi
  [ $rc = 0 ] && rc=bad-json
  if [ "$kernels" != "${kernels%,*}" ] && [ "$rc" != 124 ] && [ "$rc" != 137 ]; then
    say "group $kernels d=$d n=$size ($variant) failed (rc $rc); each kernel alone"
    for k in ${kernels//,/ }; do
      bench_group "$variant" "$k" "$d" "$size" "$@"
    done
    return
  fi
  local msg
  msg=$(tail -c 400 "$TMPD/row.err" | tr '\n' ' ')
  case $rc in 124 | 137) msg="timed out at its cap of ${cap}s (ROW_TIMEOUT=$ROW_TIMEOUT or the budget left) $msg" ;; esac
  for k in ${kernels//,/ }; do
    emit type=error variant="$variant" row="$k/d=$d/n=$size" kernel="$k" d="$d" size="$size" n="$n" rc="$rc" \
      env="$*" error="$msg"
  done
}

# solve_row VARIANT ID D SIZE N BIN [ENV=V ...]: the solver's own iteration,
# `otplay solve` with two iteration counts (a residual check every 10,
# read back), the difference over the difference in iterations.
solve_row() {
  local variant=$1 id=$2 d=$3 size=$4 n=$5 bin=$6 its v ms=() rc=0 t0=$SECONDS
  shift 6
  for its in $SOLVE_ITERS; do
    env "$@" timeout -k 5 "$(capped "$ROW_TIMEOUT")" "$bin" solve --backend gpu --x "gaussian:$n:seed=1" \
      --y "gaussian:$n:seed=2" --eps 0.05 --iters "$its" --tol 0 --json >"$TMPD/row.json" 2>"$TMPD/row.err" || { rc=$?; break; }
    v=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["time_ms"])' <"$TMPD/row.json" 2>>"$TMPD/row.err") || { rc=bad-json; break; }
    ms+=("$v")
  done
  if [ "$rc" != 0 ]; then
    emit type=error variant="$variant" row="$id" kernel=solve d="$d" size="$size" n="$n" rc="$rc" env="$*" \
      error="$(tail -c 400 "$TMPD/row.err" | tr '\n' ' ')"
    return
  fi
  local a b
  read -r a b <<<"$SOLVE_ITERS"
  emit type=otplay variant="$variant" row="$id" kernel=solve d="$d" size="$size" n="$n" m="$n" \
    iters="[$a, $b]" time_ms="[${ms[0]}, ${ms[1]}]" \
    iter_ms="$(awk "BEGIN{printf \"%.6f\", (${ms[1]} - ${ms[0]}) / ($b - $a)}")" env="$*" wall_s=$((SECONDS - t0))
}

# baseline SCRIPT CAP ARGS...: a PyTorch baseline; its rows as they come.
baseline() {
  local script=$1 cap=$2
  shift 2
  if [ "$TORCH_OK" != 1 ]; then
    emit type=skipped what="$script $*" why="$TORCH_WHY"
    return
  fi
  if [ "$(left)" -lt 15 ]; then
    emit type=skipped what="$script $*" why="budget of ${BUDGET}s spent"
    return
  fi
  local t0=$SECONDS rc
  say "torch $script $* at ${SECONDS}s"
  timeout -k 5 "$(capped "$cap")" "$PY" "bench/gpu/$script" "$@" 2>>"$LOG" |
    "$PY" -c 'import json, sys
for l in sys.stdin:
    l = l.strip()
    if l.startswith("{"):
        print(json.dumps(dict(json.loads(l), type="torch")), flush=True)' >>"$JSONL"
  rc=${PIPESTATUS[0]}
  [ "$rc" != 0 ] && emit type=error what="$script $*" rc="$rc" error="$(tail -c 400 "$LOG" | tr '\n' ' ')"
  emit type=timing what="$script $*" wall_s=$((SECONDS - t0))
}

# The solver's iteration: `otplay bench --kernel solver` where the binary
# has it, else the difference of two `otplay solve` runs.
HAS_SOLVER=0
"$BIN" bench -h 2>&1 | grep -q 'softmean, sinkhorn, solver' && HAS_SOLVER=1

# 1. The device.
emit type=run date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" host="${HOSTNAME:-}" budget_s="$BUDGET" reps="$REPS" \
  sizes="{\"1e4\": $(awk "BEGIN{print $N1E4}"), \"3e4\": $(awk "BEGIN{print $N3E4}"), \"1e5\": $(awk "BEGIN{print $N1E5}")}" \
  variants="$VARIANTS" version="$(timeout 10 "$BIN" version 2>&1 | head -1)"
emit type=nvidia-smi out="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -4 | tr '\n' ' ')"
if timeout 30 "$BIN" info --json >"$TMPD/info.json" 2>"$TMPD/info.err"; then
  "$PY" -c 'import json, sys
i = json.load(sys.stdin)
print(json.dumps({"type": "info", "gpu": i.get("gpu"), "gpu_error": i.get("gpu_error"), "version": i.get("version")}))' <"$TMPD/info.json" >>"$JSONL"
else
  emit type=error what="otplay info" error="$(tail -c 400 "$TMPD/info.err" | tr '\n' ' ')"
fi
TORCH_OK=1 TORCH_WHY=
if [ "${TORCH:-1}" = 0 ]; then
  TORCH_OK=0 TORCH_WHY="TORCH=0"
elif ! TORCH_WHY=$(timeout 60 "$PY" -c 'import torch, sys
if not torch.cuda.is_available(): sys.exit("torch " + torch.__version__ + " sees no CUDA device")
print("torch", torch.__version__, torch.cuda.get_device_name())' 2>&1); then
  TORCH_OK=0 TORCH_WHY=$(echo "$TORCH_WHY" | tail -1)
fi
emit type=torch-check ok="$TORCH_OK" out="$TORCH_WHY"

# 2. The defaults.
say "defaults at ${SECONDS}s"
while read -r ks d s; do
  bench_group default "$ks" "$d" "$s"
done < <(groups)

# 3. The PyTorch baselines of issue 14's table.
baseline torch_softmin.py "${TORCH_CORE_S:-120}" "$N1E4,$N1E5"
baseline torch_highd.py "${TORCH_CORE_S:-120}" 64 "$N1E4,$N3E4"

# 4. The extra variants.
IFS=';' read -ra specs <<<"$VARIANTS"
for spec in "${specs[@]}"; do
  spec=$(echo "$spec" | sed 's/^ *//; s/ *$//')
  [ -z "$spec" ] && continue
  name=${spec%%:*} rest=${spec#*:} globs='*'
  [ "$rest" = "$spec" ] && rest=
  envs=${rest%%:*}
  [ "$envs" != "$rest" ] && globs=${rest#*:}
  say "variant $name ($envs) on $globs at ${SECONDS}s"
  IFS=, read -ra kvs <<<"$envs"
  set -f # the globs are patterns for the row ids, not for file names
  while read -r ks d s; do
    picked=
    for k in ${ks//,/ }; do
      for g in $globs; do
        # shellcheck disable=SC2254 # the glob is the pattern
        case "$k/d=$d/n=$s" in $g)
          picked=${picked:+$picked,}$k
          break ;;
        esac
      done
    done
    [ -n "$picked" ] && bench_group "$name" "$picked" "$d" "$s" "${kvs[@]}"
  done < <(groups)
  set +f
done

# 5. The rest of the high-d baselines.
baseline torch_highd.py "${TORCH_REST_S:-150}" 8,16,192,32,128 "$N1E4,$N3E4"

# 6. The conformance suite on this device.
if [ "$VALIDATE" = 1 ] && [ "$(left)" -lt 20 ]; then
  emit type=skipped what="otplay validate" why="budget of ${BUDGET}s spent"
elif [ "$VALIDATE" = 1 ]; then
  timeout -k 5 "$(capped 120)" "$BIN" validate --backend gpu >"$OUT/validate.txt" 2>&1
  emit type=validate rc=$? tail="$(tail -3 "$OUT/validate.txt" | tr '\n' ' ')"
fi
emit type=done wall_s=$SECONDS
say "done at ${SECONDS}s: $(grep -c '"type": "otplay"' "$JSONL") otplay rows, $(grep -c '"type": "torch"' "$JSONL") PyTorch rows, $(grep -c '"type": "error"' "$JSONL") errors, $(grep -c '"type": "skipped"' "$JSONL") skipped"
# The tables, for the call's output (report.py --readme README.md here, later).
"$PY" bench/gpu/report.py "$JSONL" >"$OUT/report.md" 2>&1
cat "$OUT/report.md"
