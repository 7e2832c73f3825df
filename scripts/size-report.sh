#!/usr/bin/env bash
# First-load size of the landing page: the JS, WASM and CSS that the release build's hash.txt
# names (exactly what the page references), raw / gzip / brotli.
# Usage: scripts/size-report.sh PKG_DIR HASH_FILE
set -euo pipefail
dir="$1"
hashes="$2"
name=growthdesk
printf '%-45s %10s %10s %10s\n' file raw gzip brotli
totals=(0 0 0)
for kind in js wasm css; do
  hash=$(awk -F': ' -v k="$kind" '$1 == k {print $2}' "$hashes")
  f="$dir/$name.$hash.$kind"
  raw=$(stat -c %s "$f"); gz=$(stat -c %s "$f.gz"); br=$(stat -c %s "$f.br")
  printf '%-45s %10d %10d %10d\n' "$(basename "$f")" "$raw" "$gz" "$br"
  totals=($((totals[0] + raw)) $((totals[1] + gz)) $((totals[2] + br)))
done
# With --split, the main JS also imports the small chunk loader.
split=$(awk -F': ' '$1 == "split" {print $2}' "$hashes")
if [ -n "$split" ]; then
  f="$dir/__wasm_split.$split.js"
  raw=$(stat -c %s "$f"); gz=$(stat -c %s "$f.gz"); br=$(stat -c %s "$f.br")
  printf '%-45s %10d %10d %10d\n' "$(basename "$f")" "$raw" "$gz" "$br"
  totals=($((totals[0] + raw)) $((totals[1] + gz)) $((totals[2] + br)))
fi
printf '%-45s %10d %10d %10d\n' TOTAL "${totals[@]}"
echo "loaded on demand (lazy chunks):"
for f in "$dir"/split_*.wasm "$dir"/chunk_*.wasm; do
  [ -f "$f" ] && printf '  %-60s %10d raw %10d brotli\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(stat -c %s "$f.br")"
done
awk -v r="${totals[0]}" -v g="${totals[1]}" -v b="${totals[2]}" 'BEGIN {
  printf "first load: %.1f kB raw, %.1f kB gzip, %.1f kB brotli (budget: 200 kB brotli)\n", r/1000, g/1000, b/1000 }'
