#!/usr/bin/env bash
# Lighthouse (mobile, its default settings) on the landing page, the catalog and a product
# page of a running release server, with Debian's Chromium. Prints the four scores per page
# and fails when one is under its target (performance 90, the others 95).
# Usage: scripts/lighthouse.sh BASE_URL   (scripts/first-load.sh calls it with its server)
# LIGHTHOUSE_OUT=dir keeps the full reports (JSON) there, for a closer look at a page.
set -euo pipefail
base="$1"
version=12.8.2 # the last line for Node 20 (13.x needs Node 22)
dir="$HOME/.cache/growthdesk/lighthouse-$version"
if [ ! -x "$dir/node_modules/.bin/lighthouse" ]; then
  npm install --silent --no-audit --no-fund --prefix "$dir" "lighthouse@$version" >/dev/null
fi
export CHROME_PATH="${CHROMIUM:-/usr/bin/chromium}"
out="${LIGHTHOUSE_OUT:-$(mktemp -d)}"
mkdir -p "$out"
failed=0
for page in / /shop /shop/instagram-follower; do
  name=$(echo "$page" | tr '/' '_')
  "$dir/node_modules/.bin/lighthouse" "$base$page" --quiet --output=json --output-path="$out/$name.json" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking" >/dev/null
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const c = r.categories, a = r.audits;
    const s = (k) => Math.round(c[k].score * 100);
    const scores = { perf: s("performance"), a11y: s("accessibility"), bp: s("best-practices"), seo: s("seo") };
    const ms = (k) => a[k] ? Math.round(a[k].numericValue) : "-";
    console.log(`lighthouse ${process.argv[2]}: performance ${scores.perf}, accessibility ${scores.a11y}, best practices ${scores.bp}, SEO ${scores.seo}` +
      ` (FCP ${ms("first-contentful-paint")} ms, LCP ${ms("largest-contentful-paint")} ms, TBT ${ms("total-blocking-time")} ms, CLS ${a["cumulative-layout-shift"].numericValue.toFixed(3)})`);
    for (const [k, cat] of Object.entries(c)) {
      for (const ref of cat.auditRefs) {
        const audit = a[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) console.log(`  ${k}: ${audit.id} ${Math.round(audit.score * 100)} ${audit.displayValue ?? ""}`);
      }
    }
    process.exit(scores.perf < 90 || scores.a11y < 95 || scores.bp < 95 || scores.seo < 95 ? 1 : 0);
  ' "$out/$name.json" "$page" || failed=1
done
[ -n "${LIGHTHOUSE_OUT:-}" ] || rm -rf "$out"
[ "$failed" = 0 ] && echo "lighthouse: every page meets its targets" || echo "lighthouse: a page misses a target (see above)"
