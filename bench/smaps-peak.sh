#!/usr/bin/env bash
# What a process's resident set is made of at its peak: samples /proc/PID/status every second, keeps a copy of
# /proc/PID/smaps whenever VmRSS reaches a new high, and when the process ends prints that copy grouped by kind of
# mapping (GC and other anonymous memory, the runtime's double-mapped code and loader heaps, malloc's [heap], each
# file mapped: assemblies, native libraries, ICU data); OUT_DIR/rss-timeline.txt keeps the resident set second by second.
# Linux only; no effect on the process sampled.
# Usage: bench/smaps-peak.sh PID [OUT_DIR]      (batch-verify.sh runs it with SMAPS=1)
set -euo pipefail
pid=$1
out=${2:-/tmp}
peak=0
while [ -r "/proc/$pid/status" ]; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  echo "$(date -u +%T) ${rss:-0}" >> "$out/rss-timeline.txt"
  if [ "${rss:-0}" -gt "$peak" ] && cp "/proc/$pid/smaps" "$out/smaps-peak.tmp" 2>/dev/null; then
    peak=$rss
    mv "$out/smaps-peak.tmp" "$out/smaps-peak.txt"
    date -u +%T > "$out/smaps-peak.when"
  fi
  sleep 1
done
[ -s "$out/smaps-peak.txt" ] || exit 0
echo "# resident set at its sampled peak ($peak KB at $(cat "$out/smaps-peak.when") UTC), by mapping (MB):"
awk '
  /^[0-9a-f]+-[0-9a-f]+ / {
    name = (NF >= 6) ? $6 : "[anonymous]"
    for (i = 7; i <= NF; i++) name = name " " $i
    if (name ~ /doublemapper/) name = "[runtime code and loader heaps: memfd doublemapper, " $2 "]"
    else if (name ~ /\.dll$/) name = "[assemblies]"
    next
  }
  /^Rss:/ { rss[name] += $2 }
  /^Anonymous:/ { anon[name] += $2 }
  END {
    for (k in rss) if (rss[k] >= 1024) printf "%8.1f  %8.1f anon  %s\n", rss[k] / 1024, anon[k] / 1024, k; else small += rss[k]
    printf "%8.1f  %8s       %s\n", small / 1024, "", "(mappings under 1 MB each)"
  }' "$out/smaps-peak.txt" | sort -rn
echo "# $(grep -o '[^/ ]*\.dll$' "$out/smaps-peak.txt" | sort -u | wc -l) assemblies mapped; the ten largest resident (MB):"
awk '
  /^[0-9a-f]+-[0-9a-f]+ / { dll_name = ""; if (NF >= 6 && $6 ~ /\.dll$/) { dll_name = $6; sub(/.*\//, "", dll_name) } next }
  /^Rss:/ && dll_name != "" { dll[dll_name] += $2 }
  END { for (k in dll) printf "%8.1f  %s\n", dll[k] / 1024, k }
' "$out/smaps-peak.txt" | sort -rn | head -11
