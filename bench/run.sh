#!/usr/bin/env bash
# The evtxscan benchmark: wall time and peak memory against the parsing floor, on the same
# files in the same run. See docs/PERFORMANCE.md for the method and the recorded figures.
#
#   bench/run.sh              the default set (under 10 minutes on 2 cores)
#   REPEAT=5 bench/run.sh     best of 5 instead of 3
#   BIG=1 bench/run.sh        also the generated ~2 GB Sysmon/Security log (needs evtxgen)
#
# Inputs: attack-samples replicated 10x and 50x, and one ~600 MB log made of attack10's chunks.
#
# Everything it makes goes under bench/work/ (ignored by git). Results: bench/work/results.tsv
# and a table on standard output.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work
SHARED=$ROOT/../shared
REPEAT=${REPEAT:-3}
mkdir -p "$WORK"

say() { printf '== %s\n' "$*" >&2; }

# --- 1. tools ---------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    say "installing GNU time (for peak memory)"
    if command -v apt-get >/dev/null; then
        apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null
    fi
    [ -x /usr/bin/time ] || { echo "bench: /usr/bin/time (GNU time) is required" >&2; exit 2; }
fi
command -v python3 >/dev/null || { echo "bench: python3 is required" >&2; exit 2; }
[ -d "$SHARED/corpus/evtx/attack-samples" ] || { echo "bench: ../shared/corpus not found" >&2; exit 2; }

say "building evtxscan (release) and the floor"
cargo build --release --quiet --bin evtxscan --example read_bench
cargo build --release --quiet --manifest-path "$SHARED/tools/evtx-floor/Cargo.toml" \
    --target-dir /tmp/evtx-floor
EVTXSCAN=$ROOT/target/release/evtxscan
READ_BENCH=$ROOT/target/release/examples/read_bench
FLOOR=/tmp/evtx-floor/release/evtx-floor

# --- 2. inputs --------------------------------------------------------------------------
say "preparing inputs"
python3 "$SHARED/tools/replicate.py" "$SHARED/corpus/evtx/attack-samples" "$WORK/attack10" 10
python3 "$SHARED/tools/replicate.py" "$SHARED/corpus/evtx/attack-samples" "$WORK/attack50" 50
# One big log (~600 MB) made of the non-empty chunks of attack10, for a single file's scaling
# across threads while the generated log is not available.
python3 "$ROOT/bench/concat_chunks.py" "$WORK/attack10" "$WORK/onefile/one.evtx" 600
INPUTS="attack10 attack50 onefile"
if [ "${BIG:-0}" = 1 ]; then
    # The ~2 GB generated Sysmon/Security/PowerShell/System log (evtxscan's own EVTX writer).
    if "$EVTXSCAN" gen --help >/dev/null 2>&1; then
        [ -f "$WORK/big/big.evtx" ] || { mkdir -p "$WORK/big"; "$EVTXSCAN" gen --size 2G -o "$WORK/big/big.evtx"; }
        INPUTS="$INPUTS big"
    else
        say "SKIPPED: generated 2 GB log (the EVTX writer has not landed yet)"
    fi
fi

# Rule sets: all SigmaHQ windows rules plus all Splunk detections, and the first 10 and 100
# Sigma rule files (sorted by path) for the scaling with rule count.
SIGMA=$SHARED/corpus/sigma/rules/windows
SPLUNK=$SHARED/corpus/splunk
for n in 10 100; do
    if [ ! -f "$WORK/rules$n/.done" ]; then
        rm -rf "$WORK/rules$n"; mkdir -p "$WORK/rules$n"
        find "$SIGMA" -name '*.yml' | LC_ALL=C sort >"$WORK/sigma-files.txt"
        sed -n "1,${n}p" "$WORK/sigma-files.txt" | while read -r f; do
            cp "$f" "$WORK/rules$n/"
        done
        touch "$WORK/rules$n/.done"
    fi
done

# --- 3. runs ----------------------------------------------------------------------------
RESULTS=$WORK/results.tsv
printf 'run\tinput\twall_s\tcpu_s\trss_kb\tstatus\n' >"$RESULTS"

# measure NAME INPUT CMD...: best wall time of $REPEAT runs (and the CPU time, user + system,
# of that run), the largest peak RSS. On a shared machine the CPU time moves less than the wall.
measure() {
    local name=$1 input=$2; shift 2
    local best="" cpu="" rss=0 status=ok
    for _ in $(seq "$REPEAT"); do
        set +e
        /usr/bin/time -f '%e %M %U %S' -o "$WORK/time.txt" "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt"
        local code=$?
        set -e
        # evtxscan exits 1 when it found hits and 3 on a partial scan: both are results.
        case "$code" in
            0|1|3) ;;
            *) status="failed($code): $(head -c 100 "$WORK/stderr.txt" | tr '\n\t' '  ')"; best=""; break ;;
        esac
        read -r wall kb user sys < <(tail -n 1 "$WORK/time.txt")
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $wall < $best else 1)"; then
            best=$wall
            cpu=$(python3 -c "print(round($user + $sys, 2))")
        fi
        [ "$kb" -gt "$rss" ] && rss=$kb
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$input" "${best:-nan}" "${cpu:-nan}" "$rss" "$status" >>"$RESULTS"
    say "$name on $input: ${best:-n/a} s (cpu ${cpu:-n/a} s), $((rss / 1024)) MB, $status"
}

for input in $INPUTS; do
    dir=$WORK/$input
    measure floor "$input" "$FLOOR" "$dir"
    "$FLOOR" "$dir" >"$WORK/floor-$input.txt"
    measure "read stage" "$input" "$READ_BENCH" read "$dir"
    measure "read stage, XML path" "$input" "$READ_BENCH" readxml "$dir"
    out=$WORK/hits-$input.jsonl
    measure "scan, 10 rules" "$input" "$EVTXSCAN" scan -q --rules "$WORK/rules10" -f jsonl -o "$out" "$dir"
    measure "scan, 100 rules" "$input" "$EVTXSCAN" scan -q --rules "$WORK/rules100" -f jsonl -o "$out" "$dir"
    measure "scan, all rules" "$input" "$EVTXSCAN" scan -q --rules "$SIGMA" --rules "$SPLUNK" -f jsonl -o "$out" "$dir"
done
for input in attack50 onefile; do
    measure "floor, 1 thread" "$input" env RAYON_NUM_THREADS=1 "$FLOOR" "$WORK/$input"
    measure "read stage, 1 thread" "$input" env RAYON_NUM_THREADS=1 "$READ_BENCH" read "$WORK/$input"
    measure "scan, all rules, 1 thread" "$input" "$EVTXSCAN" --threads 1 scan -q --rules "$SIGMA" \
        --rules "$SPLUNK" -f jsonl -o "$WORK/hits-1t.jsonl" "$WORK/$input"
done

# --- 4. the table -----------------------------------------------------------------------
python3 - "$WORK" <<'PY'
import csv, os, re, sys
work = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(work, "results.tsv")), delimiter="\t"))
facts = {}
for name in os.listdir(work):
    m = re.match(r"floor-(.*)\.txt$", name)
    if m:
        t = open(os.path.join(work, name)).read()
        facts[m.group(1)] = (int(re.search(r"records (\d+)", t).group(1)),
                             int(re.search(r"bytes (\d+)", t).group(1)))
def base(run, key):
    return {r["input"]: float(r[key]) for r in rows if r["run"] == run}
floor, floor1 = base("floor", "wall_s"), base("floor, 1 thread", "wall_s")
cfloor, cfloor1 = base("floor", "cpu_s"), base("floor, 1 thread", "cpu_s")
nan = float("nan")
print(f"{'run':<28} {'input':<9} {'wall s':>7} {'records/s':>10} {'MB/s':>6} {'RSS MB':>7} "
      f"{'x floor':>8} {'cpu s':>6} {'cpu x floor':>12}  status")
for r in rows:
    wall, cpu = float(r["wall_s"]), float(r["cpu_s"])
    records, size = facts.get(r["input"], (0, 0))
    one = "1 thread" in r["run"]
    w = (floor1 if one else floor).get(r["input"], nan)
    c = (cfloor1 if one else cfloor).get(r["input"], nan)
    rate = records / wall if wall > 0 else nan
    mbs = size / 1e6 / wall if wall > 0 else nan
    print(f"{r['run']:<28} {r['input']:<9} {wall:>7.2f} {rate:>10.0f} {mbs:>6.0f} "
          f"{int(r['rss_kb'])/1024:>7.0f} {wall / w:>8.2f} {cpu:>6.2f} {cpu / c:>12.2f}  {r['status']}")
PY
