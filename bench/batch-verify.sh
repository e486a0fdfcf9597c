#!/usr/bin/env bash
# Mass INS verification, store -> INSi sandbox -> store (issue 12): N synthetic persons known to the sandbox are loaded
# into a fresh gateway (SQLite data folder, or PostgreSQL with DB=postgres CONNECTION=...), then
# `santegw batch verify --from-store status=RECUP --rate 0` calls the sandbox over mutual TLS for each of them.
# Prints wall time, items/s and the peak resident memory of the batch process (GNU time).
# Usage: bench/batch-verify.sh N [CONCURRENCY]      (Release build of bench/SanteGateway.Benchmarks first)
set -euo pipefail
N=${1:-100000}
CONCURRENCY=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/SanteGateway.Benchmarks/bin/Release/net10.0"
work=$(mktemp -d /tmp/batch-verify.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
dotnet "$bin/SanteGateway.Benchmarks.dll" batch-data --count "$N" --out "$work"
store='"Provider": "sqlite"'
if [ "${DB:-sqlite}" = postgres ]; then store="\"Provider\": \"postgres\", \"ConnectionString\": \"$CONNECTION\""; fi
mkdir -m 700 "$work/data"
cat > "$work/data/appsettings.json" <<JSON
{ "Gateway": { "Store": { $store } }, "Insi": { "Mode": "sandbox", "SandboxPort": 0, "SandboxPersonsCsv": "$work/sandbox-persons.csv" } }
JSON
db=(--data "$work/data")
echo "# $(date -u +%FT%RZ) N=$N concurrency=$CONCURRENCY db=${DB:-sqlite} load=$(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
dotnet "$bin/santegw.dll" import identities "$work/import.csv" "${db[@]}" | tail -2
echo "# import: $(echo "$(date +%s.%N) - $start" | bc) s"
start=$(date +%s.%N)
/usr/bin/time -f "# batch: peak RSS %M KB, %e s wall, %U s user, %S s system" \
  dotnet "$bin/santegw.dll" batch verify --from-store status=RECUP --rate 0 --concurrency "$CONCURRENCY" \
  "${db[@]}" --output "$work/report.csv" 2>&1 | tail -4 || true
wall=$(echo "$(date +%s.%N) - $start" | bc)
echo "# verify: $N items in $wall s ($(echo "$N / $wall" | bc) items/s) load=$(cut -d' ' -f1-3 /proc/loadavg)"
cut -d';' -f3 "$work/report.csv" 2>/dev/null | sort | uniq -c | sort -rn | head -8 || true
