#!/usr/bin/env bash
#
# Demo: three hosts build a tinc VPN with automatic-tinc and nothing but an etcd endpoint. etcd
# runs in a "switch" namespace on a bridge, each host in a namespace of its own on that bridge.
# The demo prints each step, then a table of every node's VPN address and which nodes it can
# ping, and the output of `automatic-tinc list`. It removes the daemons, etcd, the namespaces
# and its files on exit, also after an error or Ctrl-C. Needs root.
#
# Environment: AUTOMATIC_TINC (default .build/release/automatic-tinc), DEMO_BUILD=0 to skip
# installing packages and the build.

set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
if ! command -v swift >/dev/null; then
    export PATH=$PATH:/opt/swift/usr/bin
fi

automatic_tinc=${AUTOMATIC_TINC:-$repo_root/.build/release/automatic-tinc}
nodes=(alpha bravo charlie)
# The underlay: a bridge in the switch namespace, etcd at .254 and node I at .I. The VPN takes
# automatic-tinc's default subnet, 172.16.0.0/13. Both exist only inside the namespaces.
lan=10.212.0
etcd_url=http://$lan.254:2379

step_number=0
step() {
    step_number=$((step_number + 1))
    printf '\n==> Step %d: %s\n' "$step_number" "$*"
}

# Prints a command, then runs it.
show() {
    printf '    $ %s\n' "$*"
    "$@"
}

if [[ $EUID != 0 ]]; then
    echo "demo-automatic: needs root to create network namespaces; run it with sudo" >&2
    exit 1
fi

# Namespace names carry this shell's pid, so two demos never share or delete each other's.
switch=demo$$-switch
work=$(mktemp -d /tmp/swift-tinc-demo-automatic.XXXXXX)
pids=()
namespaces=()
etcd_pid=""

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    printf '\n==> Cleaning up\n'
    local pid ns
    for pid in "${pids[@]}" $etcd_pid; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for ns in "${namespaces[@]}"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
    echo "    stopped automatic-tinc on ${#pids[@]} nodes and etcd, deleted ${#namespaces[@]} namespaces, removed $work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ${DEMO_BUILD:-1} != 0 ]]; then
    step "install missing packages (tinc, etcd, iproute2, ...)"
    show bash scripts/install-deps.sh

    step "build automatic-tinc (release)"
    show swift build -c release --static-swift-stdlib --product automatic-tinc
fi
if [[ ! -x $automatic_tinc ]]; then
    echo "demo-automatic: automatic-tinc not found at $automatic_tinc" >&2
    exit 1
fi
echo "    $("$automatic_tinc" --version)"

step "create the switch namespace with a bridge, and start etcd on it ($etcd_url)"
show ip netns add "$switch"
namespaces+=("$switch")
show ip -n "$switch" link set lo up
show ip -n "$switch" link add br0 type bridge
# A fixed MAC address, or the bridge would take the lowest one of its ports and could change
# it under the hosts' ARP entries for etcd when a port is added.
show ip -n "$switch" link set br0 address 02:00:0a:d4:00:fe
show ip -n "$switch" addr add "$lan.254/24" dev br0
show ip -n "$switch" link set br0 up
ip netns exec "$switch" etcd --name demo --data-dir "$work/etcd" \
    --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
    --listen-peer-urls "http://$lan.254:2380" --initial-advertise-peer-urls "http://$lan.254:2380" \
    --initial-cluster "demo=http://$lan.254:2380" --logger=zap --log-outputs=stderr \
    </dev/null >"$work/etcd.log" 2>&1 &
etcd_pid=$!
echo "    $ ip netns exec $switch etcd --data-dir $work/etcd --listen-client-urls $etcd_url ... &"

deadline=$((SECONDS + 20))
until [[ $(ip netns exec "$switch" curl -s --max-time 2 "$etcd_url/health" 2>/dev/null) == *'"health":"true"'* ]]; do
    if ((SECONDS >= deadline)); then
        echo "demo-automatic: etcd is not healthy after 20 s; last log lines:" >&2
        tail -n 10 "$work/etcd.log" >&2 || true
        exit 1
    fi
    sleep 0.2
done
echo "    etcd is healthy"

step "create a namespace per host on the bridge (${nodes[*]})"
index=0
for node in "${nodes[@]}"; do
    index=$((index + 1))
    ns=demo$$-$node
    show ip netns add "$ns"
    namespaces+=("$ns")
    ip -n "$ns" link set lo up
    ip -n "$ns" link add eth0 type veth peer name "port$index" netns "$switch"
    ip -n "$switch" link set "port$index" master br0 up
    ip -n "$ns" addr add "$lan.$index/24" dev eth0
    ip -n "$ns" link set eth0 up
    echo "    $node: eth0 $lan.$index/24, joined to br0 in $switch"
done

# 2048-bit keys keep the demo short; automatic-tinc's default is 4096.
step "start automatic-tinc on each host; it generates keys, claims an address and runs tincd"
index=0
for node in "${nodes[@]}"; do
    index=$((index + 1))
    options=(--etcd "$etcd_url" --name "$node" --public-address "$lan.$index"
        --config-root "$work/$node" --key-bits 2048 -d1)
    echo "    $ ip netns exec demo$$-$node automatic-tinc ${options[*]} &"
    ip netns exec "demo$$-$node" "$automatic_tinc" "${options[@]}" </dev/null >"$work/$node.log" 2>&1 &
    pids+=("$!")
done

step "wait (up to 60 s) until every host's tun0 has its VPN address"
declare -A vpn_address=()
deadline=$((SECONDS + 60))
for node in "${nodes[@]}"; do
    until vpn_address[$node]=$(ip -n "demo$$-$node" -4 -o addr show dev tun0 2>/dev/null |
        awk '{ for (i = 1; i < NF; i++) if ($i == "inet") print $(i + 1) }') && [[ -n ${vpn_address[$node]} ]]; do
        if ((SECONDS >= deadline)); then
            echo "demo-automatic: $node has no VPN address after 60 s; last log lines:" >&2
            tail -n 20 "$work/$node.log" >&2 || true
            exit 1
        fi
        sleep 0.3
    done
    vpn_address[$node]=${vpn_address[$node]%%/*}
    echo "    $node: tun0 ${vpn_address[$node]}"
done

step "ping every host from every other through the VPN (up to 20 s per pair)"
declare -A reachable=()
for from in "${nodes[@]}"; do
    for to in "${nodes[@]}"; do
        if [[ $from == "$to" ]]; then
            reachable[$from|$to]=-
            continue
        fi
        reachable[$from|$to]="no reply"
        deadline=$((SECONDS + 20))
        while ((SECONDS < deadline)); do
            if ip netns exec "demo$$-$from" ping -n -q -c 1 -W 1 "${vpn_address[$to]}" >/dev/null 2>&1; then
                reachable[$from|$to]=ok
                break
            fi
            sleep 0.5
        done
    done
done

printf '\n    %-8s %-14s' NODE "VPN ADDRESS"
for to in "${nodes[@]}"; do
    printf ' %-9s' "-> $to"
done
printf '\n'
failures=0
for from in "${nodes[@]}"; do
    printf '    %-8s %-14s' "$from" "${vpn_address[$from]}"
    for to in "${nodes[@]}"; do
        printf ' %-9s' "${reachable[$from|$to]}"
        if [[ ${reachable[$from|$to]} == "no reply" ]]; then
            failures=$((failures + 1))
        fi
    done
    printf '\n'
done

step "what etcd holds, as automatic-tinc list prints it"
show ip netns exec "demo$$-${nodes[0]}" "$automatic_tinc" list --etcd "$etcd_url"

if [[ $failures != 0 ]]; then
    printf '\n==> Done, but %d pings got no reply; the logs were in %s\n' "$failures" "$work"
    for node in "${nodes[@]}"; do
        echo "    --- last lines of $node.log"
        tail -n 10 "$work/$node.log" | sed 's/^/    | /'
    done
    exit 1
fi
printf '\n==> Done: three hosts found each other through etcd and ping each other over the VPN.\n'
