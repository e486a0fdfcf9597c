#!/usr/bin/env bash
# Mass INS verification, store -> INSi sandbox -> store (issue 12): N synthetic persons known to the sandbox are loaded
# into a fresh gateway (SQLite data folder, or PostgreSQL with DB=postgres CONNECTION=...), then
# `santegw batch verify --from-store status=RECUP --rate 0` calls the sandbox over mutual TLS for each of them.
# The INSi sandbox runs in its own process (`santegw sandbox insi`, as the national service would be elsewhere), so the
# peak resident memory printed (GNU time) is the batch process's alone; SANDBOX=inprocess keeps the older layout.
# Usage: bench/batch-verify.sh N [CONCURRENCY]      (Release build of bench/SanteGateway.Benchmarks first)
# BATCH_ENV="NAME=VALUE ..." sets environment variables for the batch process alone (GC settings, for instance);
# BIN=DIR runs the binaries of another build (A/B); SETTINGS='"Batch": { "ChunkSize": 200 }' adds sections to the
# data folder's appsettings.json; SMAPS=1 prints what the batch process's resident set is made of at its peak; the run
# ends with `santegw audit verify` on the data folder.
set -euo pipefail
N=${1:-100000}
CONCURRENCY=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
bin="${BIN:-$here/SanteGateway.Benchmarks/bin/Release/net10.0}"
work=$(mktemp -d /tmp/batch-verify.XXXXXX)
sandbox_pid=
pg_probe=
cleanup() { [ -z "$sandbox_pid" ] || kill "$sandbox_pid" 2>/dev/null || true; [ -z "$pg_probe" ] || kill "$pg_probe" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
dotnet "$bin/SanteGateway.Benchmarks.dll" batch-data --count "$N" --out "$work"
store='"Provider": "sqlite"'
if [ "${DB:-sqlite}" = postgres ]; then store="\"Provider\": \"postgres\", \"ConnectionString\": \"$CONNECTION\""; fi
if [ "${SANDBOX:-process}" = inprocess ]; then
  insi="\"Mode\": \"sandbox\", \"SandboxPort\": 0, \"SandboxPersonsCsv\": \"$work/sandbox-persons.csv\""
else
  dotnet "$bin/santegw.dll" pki init --dir "$work/pki" > /dev/null
  dotnet "$bin/santegw.dll" sandbox insi --pki "$work/pki" --persons "$work/sandbox-persons.csv" > "$work/sandbox.out" 2>&1 &
  sandbox_pid=$!
  for _ in $(seq 1 600); do grep -q "listening on" "$work/sandbox.out" 2>/dev/null && break; sleep 0.5; done
  endpoint=$(sed -n 's/.*(mutual TLS) listening on \(https[^ ]*\).*/\1/p' "$work/sandbox.out")
  [ -n "$endpoint" ] || { cat "$work/sandbox.out"; exit 1; }
  export SANTEGW_INSI_CERT_PASSWORD; SANTEGW_INSI_CERT_PASSWORD=$(cat "$work/pki/password.txt")
  insi="\"Mode\": \"remote\", \"Endpoint\": \"$endpoint\", \"Idam\": \"SANDBOX-IDAM\", \"CertificatePath\": \"$work/pki/INSI-AUTO.p12\", \"ManualCertificatePath\": \"$work/pki/INSI-MANU.p12\", \"TrustedCaPaths\": [\"$work/pki/ca.cer\"], \"CheckRevocation\": false"
fi
mkdir -m 700 "$work/data"
cat > "$work/data/appsettings.json" <<JSON
{ "Gateway": { "Store": { $store } }, "Insi": { $insi }${SETTINGS:+, $SETTINGS} }
JSON
db=(--data "$work/data")
echo "# $(date -u +%FT%RZ) N=$N concurrency=$CONCURRENCY db=${DB:-sqlite} sandbox=${SANDBOX:-process} load=$(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
# Exit code 1 means "some rows were refused" (listed in import.csv.rejects.csv): the run goes on with the others.
dotnet "$bin/santegw.dll" import identities "$work/import.csv" "${db[@]}" | tail -2 || true
echo "# import: $(echo "$(date +%s.%N) - $start" | bc) s"
start=$(date +%s.%N)
pg_probe=
if [ "${DB:-sqlite}" = postgres ]; then
  # CPU of the PostgreSQL backends serving this database (their process title names it), sampled every second.
  dbname=$(echo "$CONNECTION" | tr ';' '\n' | sed -n 's/^Database=//Ip')
  ( while true; do
      for p in $(ps -eo pid=,args= | awk -v d="$dbname" '$0 ~ "postgres: [^ ]+ " d " " {print $1}'); do
        [ -r "/proc/$p/stat" ] && echo "$p $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null)"
      done
      sleep 1
    done ) > "$work/pg-cpu.txt" 2>/dev/null &
  pg_probe=$!
fi
# shellcheck disable=SC2086 # BATCH_ENV is a list of NAME=VALUE words
/usr/bin/time -f "# batch: peak RSS %M KB, %e s wall, %U s user, %S s system" \
  env ${BATCH_ENV:-} dotnet "$bin/santegw.dll" batch verify --from-store status=RECUP --rate 0 --concurrency "$CONCURRENCY" \
  "${db[@]}" --output "$work/report.csv" > "$work/batch.out" 2>&1 &
batch_pid=$!
smaps_pid=
if [ -n "${SMAPS:-}" ]; then
  # SMAPS=1: what the batch process's resident set is made of at its peak (bench/smaps-peak.sh).
  for _ in $(seq 1 50); do dotnet_pid=$(pgrep -P "$batch_pid" -f santegw.dll || true); [ -z "$dotnet_pid" ] || break; sleep 0.1; done
  [ -z "$dotnet_pid" ] || { "$here/smaps-peak.sh" "$dotnet_pid" "$work" > "$work/smaps.out" 2>&1 & smaps_pid=$!; }
fi
wait "$batch_pid" || true
# The progress line is rewritten in place ('\r'): show the lines that end the run.
tr '\r' '\n' < "$work/batch.out" | grep -v '^[0-9]*/[0-9]* ' | tail -6
grep -q "Unhandled\|Exception" "$work/batch.out" && { echo "# batch failed:"; grep -m1 -B2 -A12 "Exception" "$work/batch.out"; }
wall=$(echo "$(date +%s.%N) - $start" | bc)
[ -z "$smaps_pid" ] || { wait "$smaps_pid" || true; cat "$work/smaps.out"; }
echo "# verify: $N items in $wall s ($(echo "$N / $wall" | bc) items/s) load=$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$sandbox_pid" ]; then
  # utime + stime (fields 14, 15) in clock ticks: the sandbox's CPU for the whole run, import included (it serves no import).
  ticks=$(awk '{print $14 + $15}' "/proc/$sandbox_pid/stat"); hz=$(getconf CLK_TCK)
  echo "# sandbox process: peak RSS $(grep VmHWM /proc/$sandbox_pid/status | awk '{print $2}') KB, CPU $(echo "scale=1; $ticks / $hz" | bc) s ($(echo "scale=3; $ticks * 1000 / $hz / $N" | bc) ms per item, start-up included)"
fi
if [ -n "$pg_probe" ]; then
  kill "$pg_probe" 2>/dev/null || true; wait "$pg_probe" 2>/dev/null || true
  pg_cpu=$(awk '{ if ($2 > max[$1]) max[$1] = $2 } END { s = 0; for (p in max) s += max[p]; print s }' "$work/pg-cpu.txt")
  echo "# postgres backends of this database: CPU $(echo "scale=1; $pg_cpu / $(getconf CLK_TCK)" | bc) s ($(echo "scale=3; $pg_cpu * 1000 / $(getconf CLK_TCK) / $N" | bc) ms per item)"
fi
cut -d';' -f4 "$work/report.csv" 2>/dev/null | sort | uniq -c | sort -rn | head -8 || true
# The audit chain and the identity rows must still agree after the run (exit 1 names each problem).
dotnet "$bin/santegw.dll" audit verify "${db[@]}" 2>&1 | tail -3 || echo "# audit verify FAILED"
