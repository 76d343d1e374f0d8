#!/usr/bin/env bash
# A rolling restart behind a real load balancer: two replicas of the service example
# (examples/service.rs) on free loopback ports, HAProxy in front checking each one's `/ready`
# (haproxy.cfg.in says how often and why), and wrk sending requests through HAProxy the whole
# time, while each replica in turn is stopped, waited for and started again.
#
#   deploy/rolling-restart/run.sh                 the three runs side by side (what CI runs)
#   deploy/rolling-restart/run.sh TERM 1s         one run: the signal, the drain (SERVICE_DRAIN)
#
# One run prints `requests sent, non-2xx, socket errors` as wrk counted them. The three runs:
#   TERM, drain 1s   the deployment as it should be: expected 0 failed requests
#   KILL             no graceful stop at all: requests in flight are lost
#   TERM, drain 0s   a graceful stop without the drain: the replica closes its port before
#                    the load balancer has seen `/ready` turn 503
# The first must have no failure and each control must have some, or the script exits 1.
#
# Needs haproxy and wrk (`apt-get install -y haproxy wrk`) and bash; touches only loopback.
# `SERVICE_BIN` names the service binary; by default it is built with cargo.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# How long wrk runs: enough for two restarts (each about the drain plus 0.5 s) after 2 s of
# steady load.
load_secs=${LOAD_SECS:-10}

for tool in haproxy wrk; do
    command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install -y haproxy wrk)" >&2; exit 2; }
done
if [[ -z "${SERVICE_BIN:-}" ]]; then
    cargo build --quiet --example service --manifest-path "$root/Cargo.toml"
    SERVICE_BIN="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/examples/service"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Prints the status line's code of `GET $2` on 127.0.0.1:$1, or 000 if nothing answers.
http_code() {
    local reply
    reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 && head -c 12 <&3) 2>/dev/null || true)"
    echo "${reply:9:3}" | grep -E '^[0-9]{3}$' || echo 000
}

# The body of `GET $2` on 127.0.0.1:$1.
http_body() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 && sed '1,/^\r$/d' <&3) 2>/dev/null || true
}

# Waits (at most 30 s) until `$@` succeeds.
wait_until() {
    local deadline=$((SECONDS + 30))
    until "$@"; do
        ((SECONDS < deadline)) || { echo "error: timed out waiting for: $*" >&2; exit 1; }
        sleep 0.05
    done
}

# A free loopback port: one that nothing answers on.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

# Starts replica $1 on port $2 with drain $3; sets replica_pid.
start_replica() {
    SERVICE_ADDR="127.0.0.1:$2" SERVICE_ADMIN_ADDR=127.0.0.1:0 SERVICE_DRAIN="$3" \
        "$SERVICE_BIN" >>"$work/replica$1.log" 2>&1 &
    replica_pid=$!
    pids+=("$replica_pid")
}

is_ready() { [[ "$(http_code "$1" /ready)" == 200 ]]; }
# Whether HAProxy has server $2 of backend `replicas` UP (its stats page, port $1).
is_up() { http_body "$1" '/stats;csv' | grep -q "^replicas,$2,.*,UP,"; }

# One rolling restart: signal $1, drain $2. Prints one line; returns wrk's failure count.
one_run() {
    local signal=$1 drain=$2 front stats p1 p2 pid1 pid2
    front=$(free_port); stats=$(free_port); p1=$(free_port); p2=$(free_port)
    start_replica 1 "$p1" "$drain"; pid1=$replica_pid
    start_replica 2 "$p2" "$drain"; pid2=$replica_pid
    wait_until is_ready "$p1"
    wait_until is_ready "$p2"
    sed -e "s/@FRONT@/$front/" -e "s/@STATS@/$stats/" -e "s/@R1@/$p1/" -e "s/@R2@/$p2/" \
        "$here/haproxy.cfg.in" >"$work/haproxy.cfg"
    haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
    local haproxy=$!
    pids+=("$haproxy")
    wait_until is_up "$stats" r1
    wait_until is_up "$stats" r2

    wrk -t2 -c16 -d"${load_secs}s" "http://127.0.0.1:$front/" >"$work/wrk.txt" 2>&1 &
    local load=$!
    sleep 2
    local n port pid code
    for n in 1 2; do
        if [[ $n == 1 ]]; then port=$p1; pid=$pid1; else port=$p2; pid=$pid2; fi
        kill "-$signal" "$pid"
        code=0
        wait "$pid" 2>/dev/null || code=$?
        if [[ $signal == TERM && $code != 0 ]]; then
            echo "error: replica $n exited with $code on SIGTERM" >&2
            cat "$work/replica$n.log" >&2
            exit 1
        fi
        start_replica "$n" "$port" "$drain"
        if [[ $n == 1 ]]; then pid1=$replica_pid; else pid2=$replica_pid; fi
        wait_until is_ready "$port"
        wait_until is_up "$stats" "r$n"
    done
    wait "$load"
    kill -TERM "$haproxy" "$pid1" "$pid2" 2>/dev/null || true
    wait "$haproxy" "$pid1" "$pid2" 2>/dev/null || true

    local sent non2xx errors
    sent=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.txt")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$work/wrk.txt")
    errors=$(sed -n 's/^ *Socket errors: *connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$work/wrk.txt")
    [[ -n "$sent" ]] || { cat "$work/wrk.txt" >&2; echo "error: wrk printed no count" >&2; exit 1; }
    non2xx=${non2xx:-0}
    errors=$((${errors:-0}))
    printf '%-18s %9s requests sent, %6s non-2xx, %6s socket errors\n' \
        "$signal, drain $drain" "$sent" "$non2xx" "$errors"
    failures=$((non2xx + errors))
}

if [[ $# -ge 1 ]]; then
    one_run "$1" "${2:-1s}"
    exit 0
fi

echo "rolling restart of 2 replicas behind HAProxy, under wrk -t2 -c16 for ${load_secs}s each:"
one_run TERM 1s; drained=$failures
one_run KILL 1s; killed=$failures
one_run TERM 0s; undrained=$failures
status=0
if ((drained != 0)); then
    echo "FAILED: $drained requests failed through the rolling restart with the drain" >&2
    status=1
fi
if ((killed == 0 || undrained == 0)); then
    echo "FAILED: a control run lost no request, so the load did not reach the restarts" >&2
    status=1
fi
exit $status
