#!/usr/bin/env bash
# Keeps the build cache from filling the disk. The cache outside the clone ($CARGO_TARGET_DIR)
# grows with every build (incremental data above all); a full disk fails a build half-way with
# "No space left on device". Below the wanted free space, the incremental data goes first, then
# the whole cache (a cold build then follows, which the time limit allows).
set -euo pipefail
target=${CARGO_TARGET_DIR:?}
want_gb=${DISK_FREE_GB:-30}
free_gb() { df -P -BG "$(dirname "$target")" 2>/dev/null | awk 'NR==2 {gsub("G", "", $4); print $4}'; }
mkdir -p "$(dirname "$target")"
if [ "$(free_gb)" -ge "$want_gb" ]; then exit 0; fi
echo "disk: $(free_gb) GB free, less than $want_gb GB: removing the build cache's incremental data"
rm -rf "$target"/debug/incremental "$target"/release/incremental "$target"/*/debug/incremental
if [ "$(free_gb)" -ge "$want_gb" ]; then exit 0; fi
echo "disk: still $(free_gb) GB free: removing the build cache $target"
rm -rf "$target" "$HOME/.cache/growthdesk/tools"/release/build "$HOME/.cache/growthdesk/tools"/release/deps
echo "disk: $(free_gb) GB free"
