#!/usr/bin/env bash
#
# Benchmark: throughput and memory of our tincd against upstream tincd 1.0.36. Two pairs of
# nodes, each pair in two network namespaces joined by a veth pair: one pair runs upstream, the
# other ours, with the same configuration (Cipher aes-256-cbc, Digest sha256, MACLength 4,
# Compression 0, debug level 0). Rounds alternate between the pairs; each round is one iperf3
# TCP stream through the tunnel. Prints the median throughput of each, the ratio ours/upstream,
# the peak RSS (VmHWM) and CPU time of each daemon, and writes them with the machine's
# description into the marked section of Docs/BENCHMARKS.md. Needs root.
#
# Environment:
#   BENCH_ROUNDS    rounds per implementation (default 5)
#   BENCH_SECONDS   length of one iperf3 stream in seconds (default 10)
#   BENCH_WARMUP    seconds of untimed traffic per pair before the rounds (default 5), so that
#                   tinc's path MTU discovery has settled (before it has, tinc sends large
#                   packets over the TCP meta connection)
#   BENCH_OUTPUT    page to update (default Docs/BENCHMARKS.md); "-" prints the section only
#   BENCH_BUILD     0 skips installing packages and building
#   TINCD_OURS      our tincd (default .build/release/tincd)

set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
if ! command -v swift >/dev/null; then
    export PATH=$PATH:/opt/swift/usr/bin
fi

rounds=${BENCH_ROUNDS:-5}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-5}
output=${BENCH_OUTPUT:-$repo_root/Docs/BENCHMARKS.md}

if [[ $EUID != 0 ]]; then
    echo "bench: needs root to create network namespaces; run it with sudo" >&2
    exit 1
fi

if [[ ${BENCH_BUILD:-1} != 0 ]]; then
    bash scripts/install-deps.sh
    swift build -c release --static-swift-stdlib
fi

export TN_RUN_ID=bench$$
# shellcheck source=Tests/interop/lib.sh
source "$repo_root/Tests/interop/lib.sh"
TN_DEBUG_LEVEL=0

work=$(mktemp -d /tmp/swift-tinc-bench.XXXXXX)

finish() {
    local status=$?
    trap - EXIT ERR
    set +e
    if [[ $status != 0 && -s $work/reason ]]; then
        echo "bench: failed: $(cat "$work/reason")" >&2
        tn_collect_details >&2
    fi
    tn_cleanup
    tn_cleanup_run
    rm -rf "$work"
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM
trap 'tn_on_error $? "$BASH_COMMAND" "${BASH_SOURCE[0]##*/}:$LINENO"' ERR
set -E

tn_network_begin "$work" "$TN_RUN_ID"

# The CPU time a process has used so far, in seconds (utime + stime from /proc/PID/stat).
cpu_seconds() {
    local pid=$1 stat
    stat=$(<"/proc/$pid/stat")
    # Fields after the command name, which is in parentheses and may contain spaces.
    local fields
    read -r -a fields <<<"${stat##*) }"
    local ticks=$((fields[11] + fields[12]))
    python3 -c "print(round($ticks / $(getconf CLK_TCK), 2))"
}

peak_rss_kib() {
    local pid=$1
    awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status"
}

median() {
    python3 -c 'import statistics, sys; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"
}

# ---------------------------------------------------------------------------------------------
# The two pairs: ua -> ub runs upstream, oa -> ob runs ours.

echo "bench: upstream: $TINCD_UPSTREAM ($("$TINCD_UPSTREAM" --version | head -n 1))"
echo "bench: ours:     $TINCD_OURS"
echo "bench: $rounds rounds of $seconds s per implementation, alternating, after $warmup s warm-up"

tn_node ua "$TINCD_UPSTREAM"
tn_node ub "$TINCD_UPSTREAM"
tn_node oa "$TINCD_OURS"
tn_node ob "$TINCD_OURS"
tn_link ua ub
tn_link oa ob
tn_connect ua ub
tn_connect oa ob
for node in ua ub oa ob; do
    tn_host_conf "$node" "Cipher = aes-256-cbc"
    tn_host_conf "$node" "Digest = sha256"
    tn_host_conf "$node" "MACLength = 4"
    tn_host_conf "$node" "Compression = 0"
done
tn_configure
tn_start ub
tn_start ua
tn_start ob
tn_start oa
tn_wait_ping ua ub 30
tn_wait_ping oa ob 30

if [[ $warmup != 0 ]]; then
    tn_iperf ua ub "$warmup"
    tn_iperf oa ob "$warmup"
fi

declare -A cpu_before=()
for node in ua ub oa ob; do
    cpu_before[$node]=$(cpu_seconds "${TN_PID[$node]}")
done

upstream_rates=()
ours_rates=()
upstream_bytes=0
ours_bytes=0

measure_upstream() {
    tn_iperf ua ub "$seconds"
    upstream_rates+=("$TN_IPERF_MBITS")
    upstream_bytes=$((upstream_bytes + TN_IPERF_BYTES))
}

measure_ours() {
    tn_iperf oa ob "$seconds"
    ours_rates+=("$TN_IPERF_MBITS")
    ours_bytes=$((ours_bytes + TN_IPERF_BYTES))
}

# Odd rounds measure upstream first, even rounds ours first, so that neither always runs right
# after the other's stream.
for ((round = 1; round <= rounds; round++)); do
    echo "bench: round $round of $rounds"
    if ((round % 2 == 1)); then
        measure_upstream
        measure_ours
    else
        measure_ours
        measure_upstream
    fi
done

declare -A cpu_used=() peak_rss=()
for node in ua ub oa ob; do
    tn_check_alive "$node"
    cpu_used[$node]=$(python3 -c "print('%.1f' % ($(cpu_seconds "${TN_PID[$node]}") - ${cpu_before[$node]}))")
    peak_rss[$node]=$(peak_rss_kib "${TN_PID[$node]}")
done

upstream_median=$(median "${upstream_rates[@]}")
ours_median=$(median "${ours_rates[@]}")
ratio=$(python3 -c "print('%.2f' % ($ours_median / $upstream_median))")

# CPU seconds of both daemons of a pair per GiB that the receiver counted.
cpu_per_gib() {
    local sender=$1 receiver=$2 bytes=$3
    python3 -c "print('%.2f' % ((${cpu_used[$sender]} + ${cpu_used[$receiver]}) / ($bytes / 2**30)))"
}
upstream_cpu_per_gib=$(cpu_per_gib ua ub "$upstream_bytes")
ours_cpu_per_gib=$(cpu_per_gib oa ob "$ours_bytes")

# ---------------------------------------------------------------------------------------------
# Report

cpu_model=$(lscpu | awk -F: '/^Model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }')
commit=$(git -C "$repo_root" describe --always --dirty 2>/dev/null || echo "unknown")

section=$(cat <<REPORT
Measured on $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench.sh\` ($rounds rounds of $seconds s per
implementation, alternating, which one goes first changing every round, after $warmup s of
warm-up traffic per pair).

- Machine: $cpu_model, $(nproc) cores, Linux $(uname -r), load average $(cut -d ' ' -f 1-3 /proc/loadavg) at the end
- Upstream: $("$TINCD_UPSTREAM" --version | head -n 1) ($TINCD_UPSTREAM)
- Ours: commit $commit (${TINCD_OURS#"$repo_root"/})

| | upstream tincd | ours | ours / upstream |
|---|---|---|---|
| median throughput, Mbit/s | $upstream_median | $ours_median | $ratio |
| each round, Mbit/s | ${upstream_rates[*]} | ${ours_rates[*]} | |
| peak RSS (VmHWM), sender / receiver, KiB | ${peak_rss[ua]} / ${peak_rss[ub]} | ${peak_rss[oa]} / ${peak_rss[ob]} | |
| CPU time during the rounds, sender / receiver, s | ${cpu_used[ua]} / ${cpu_used[ub]} | ${cpu_used[oa]} / ${cpu_used[ob]} | |
| CPU seconds of both daemons per GiB received | $upstream_cpu_per_gib | $ours_cpu_per_gib | |
REPORT
)

echo
echo "$section"
echo

if [[ $output == - ]]; then
    exit 0
fi

# Replaces the text between the markers, or appends a marked section when the page has none.
python3 - "$output" "$section" <<'EOF_PY'
import os, sys
path, section = sys.argv[1], sys.argv[2]
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
page = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
block = begin + "\n" + section + "\n" + end
if begin in page and end in page and page.index(begin) < page.index(end):
    head, rest = page.split(begin, 1)
    tail = rest.split(end, 1)[1]
    page = head + block + tail
else:
    page = page.rstrip("\n") + "\n\n## Latest results\n\n" + block + "\n"
open(path, "w").write(page)
EOF_PY
echo "bench: wrote the results into $output"
