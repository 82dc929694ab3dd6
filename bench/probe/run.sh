#!/usr/bin/env bash
# Benchmark `relayhunt probe` against nmap's smtp-open-relay on loopback only:
#   1. the full battery against a local open and a local closed Postfix (started by the MTA
#      harness, delivering only to the loopback sink);
#   2. N loopback sink targets (`relayhunt canary listen --count N`, one port each).
# Prints targets/s, tests/s and peak memory for both tools. Installs nmap with apt if missing
# (the bench needs it; CI does not). Every address used is 127.0.0.1.
#
# Usage: bash bench/probe/run.sh [N]        (default N=1000; env CONCURRENCY, BASE_PORT, SKIP_BUILD)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

N="${1:-1000}"
CONCURRENCY="${CONCURRENCY:-64}"
BASE_PORT="${BASE_PORT:-20000}" # below the ephemeral range (32768+)
SINK_PORT=$((BASE_PORT - 1))
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    exec 9>&- 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v nmap >/dev/null; then
    echo "installing nmap (bench only)…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap >/dev/null
fi

if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1 reuses the last release build
    cargo build --release -q -p relayhunt
    cargo build --release -q -p relayhunt-probe --example mta_pair
fi
BIN=target/release/relayhunt
PAIR=target/release/examples/mta_pair

wait_port() { # port
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "port $1 did not open" >&2
    return 1
}

# Sinks: one for the Postfix pair's deliveries, N as targets.
"$BIN" canary listen --port "$SINK_PORT" --quiet --duration 3600 2>/dev/null &
PIDS+=($!)
"$BIN" canary listen --port "$BASE_PORT" --count "$N" --max-sessions 4096 --quiet --duration 3600 2>/dev/null &
PIDS+=($!)
wait_port "$SINK_PORT"
wait_port "$BASE_PORT"
wait_port $((BASE_PORT + N - 1))

# Open and closed Postfix; they stop when fd 9 (their stdin) closes.
mkfifo "$WORK/pair.in"
"$PAIR" "$SINK_PORT" <"$WORK/pair.in" >"$WORK/pair.out" &
PIDS+=($!)
exec 9>"$WORK/pair.in"
for _ in $(seq 1 300); do [ -s "$WORK/pair.out" ] && break; sleep 0.1; done
read -r OPEN_KV CLOSED_KV <"$WORK/pair.out"
OPEN_PORT="${OPEN_KV#open=}"
CLOSED_PORT="${CLOSED_KV#closed=}"

TESTS_IN_BATTERY=$("$BIN" probe --list-tests | tail -n +2 | wc -l)

# measure LABEL CMD... → "LABEL seconds peak_kB" in $WORK/times
measure() {
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err" || true
    echo "$label $(tail -n 1 "$WORK/t")" >>"$WORK/times"
}

for p in "$OPEN_PORT" "$CLOSED_PORT"; do echo "127.0.0.1:$p"; done >"$WORK/postfix.txt"
seq "$BASE_PORT" $((BASE_PORT + N - 1)) | sed 's/^/127.0.0.1:/' >"$WORK/sinks.txt"

measure rh-postfix "$BIN" probe -f "$WORK/postfix.txt" --format ndjson --no-progress
measure nmap-postfix nmap -Pn -n -p "$OPEN_PORT,$CLOSED_PORT" --script +smtp-open-relay 127.0.0.1
measure rh-sinks "$BIN" probe -f "$WORK/sinks.txt" --concurrency "$CONCURRENCY" --format ndjson --no-progress
# The same 16 tests nmap runs (sources "nmap smtp-open-relay" in --list-tests): equal work.
NMAP16=$("$BIN" probe --list-tests | awk '$NF ~ /^smtp-open-relay/ || / nmap smtp-open-relay( #[0-9]+)?(;|$)/ {print $1}' | paste -sd, -)
measure rh-sinks16 "$BIN" probe -f "$WORK/sinks.txt" --tests "$NMAP16" --concurrency "$CONCURRENCY" --format ndjson --no-progress
measure nmap-sinks nmap -Pn -n -p "$BASE_PORT-$((BASE_PORT + N - 1))" --script +smtp-open-relay 127.0.0.1

verdicts() { # ndjson → "OPEN 1, CLOSED 1"
    grep -o '"verdict":"[A-Z-]*"' "$1" | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s%s %s", (NR>1?", ":""), $2, $1}'
}
answered() { # ndjson → answered relay tests
    grep -o '"outcome":"[a-z-]*"' "$1" | grep -cv -e skipped -e error || true
}
nmap_open() { grep -c "Server is an open relay" "$1" || true; }
nmap_tests() { # ports the script ran on x its 16 tests (it prints "(x/16 tests)" only when open)
    echo $(( $(grep -c '^[0-9]*/tcp *open' "$1" || true) * 16 ))
}

row() { # label targets tests seconds kB result
    awk -v l="$1" -v n="$2" -v t="$3" -v s="$4" -v m="$5" -v r="$6" 'BEGIN {
        s = (s < 0.01 ? 0.01 : s);
        printf "| %-30s | %6d | %7.2f | %9.1f | %9.1f | %7.1f | %s |\n", l, n, s, n / s, t / s, m / 1024, r }'
}

t() { awk -v l="$1" '$1 == l {print $2, $3}' "$WORK/times"; }
read -r S1 M1 <<<"$(t rh-postfix)"; read -r S2 M2 <<<"$(t nmap-postfix)"
read -r S3 M3 <<<"$(t rh-sinks)";   read -r S4 M4 <<<"$(t nmap-sinks)"
read -r S5 M5 <<<"$(t rh-sinks16)"

echo
echo "relayhunt probe vs nmap smtp-open-relay on 127.0.0.1 ($(nproc) cores, battery of $TESTS_IN_BATTERY tests vs nmap's 16)"
echo
echo "| run                            | targets | seconds | targets/s | tests/s   | peak MiB | result |"
echo "|--------------------------------|--------:|--------:|----------:|----------:|---------:|--------|"
row "relayhunt: Postfix open+closed" 2 "$(answered "$WORK/rh-postfix.out")" "$S1" "$M1" "$(verdicts "$WORK/rh-postfix.out")"
row "nmap: Postfix open+closed" 2 "$(nmap_tests "$WORK/nmap-postfix.out")" "$S2" "$M2" "open relay reported on $(nmap_open "$WORK/nmap-postfix.out") port(s)"
row "relayhunt: $N sinks (c=$CONCURRENCY)" "$N" "$(answered "$WORK/rh-sinks.out")" "$S3" "$M3" "$(verdicts "$WORK/rh-sinks.out")"
row "relayhunt: $N sinks, nmap's 16" "$N" "$(answered "$WORK/rh-sinks16.out")" "$S5" "$M5" "$(verdicts "$WORK/rh-sinks16.out")"
row "nmap: $N sinks" "$N" "$(nmap_tests "$WORK/nmap-sinks.out")" "$S4" "$M4" "open relay reported on $(nmap_open "$WORK/nmap-sinks.out") port(s)"
echo
awk -v a="$S3" -v b="$S4" -v n="$N" 'BEGIN { printf "per-target speed on %d sinks: relayhunt %.1fx nmap\n", n, (b > 0 && a > 0) ? b / a : 0 }'
awk -v a="$S5" -v b="$S4" -v n="$N" 'BEGIN { printf "per-target speed on %d sinks, same 16 tests as nmap: relayhunt %.1fx nmap\n", n, (b > 0 && a > 0) ? b / a : 0 }'
awk -v a="$S1" -v b="$S2" 'BEGIN { printf "wall time on the Postfix pair: relayhunt %.2f s, nmap %.2f s\n", a, b }'
