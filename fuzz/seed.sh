#!/bin/sh
# Fill fuzz/corpus/<target>/ with seeds: the committed hand-written seeds, the rules in rules/,
# sample logs from samples/, and, when ../shared is there, a small set of SigmaHQ rules, Splunk
# searches and the smallest EVTX files. The corpus is not committed (it holds ../shared files).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
shared="$repo/../shared/corpus"
c="$here/corpus"
mkdir -p "$c/sigma_load" "$c/spl_load_eval" "$c/evtx_read"
cp "$repo"/rules/sigma/*.yml "$c/sigma_load/"
cp "$here"/seeds/spl_load_eval/* "$c/spl_load_eval/"
if [ -d "$repo/samples" ]; then
  find "$repo/samples" -type f -size -200k | head -n 10 | while read -r f; do cp "$f" "$c/evtx_read/"; done
fi
if [ -d "$shared" ]; then
  # 150 Sigma rules of several shapes (process creation, correlations, PowerShell, registry).
  find "$shared/sigma" -name '*.yml' | sort | awk 'NR % 30 == 0' | head -n 150 | while read -r f; do
    cp "$f" "$c/sigma_load/$(basename "$f")"
  done
  # The search of 100 Splunk detections (needs python3 with PyYAML; skipped otherwise).
  python3 - "$shared/splunk/detections" "$c/spl_load_eval" <<'PY' || echo "note: no Splunk seeds (python3 + PyYAML needed)"
import os, sys, yaml
src, dst = sys.argv[1], sys.argv[2]
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".yml"))
for i, p in enumerate(paths[::max(1, len(paths) // 100)][:100]):
    with open(p, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if isinstance(doc, dict) and isinstance(doc.get("search"), str):
        with open(os.path.join(dst, "splunk_%03d.spl" % i), "w", encoding="utf-8") as out:
            out.write(doc["search"])
PY
  # The ten smallest logs, cut to their first chunk.
  find "$shared/evtx" -type f -name '*.evtx' -printf '%s %p\n' | sort -n | head -n 10 | cut -d' ' -f2- |
    while read -r f; do head -c 69632 "$f" > "$c/evtx_read/$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)"; done
fi
for t in sigma_load spl_load_eval evtx_read; do
  echo "$t: $(ls "$c/$t" | wc -l) seeds"
done
