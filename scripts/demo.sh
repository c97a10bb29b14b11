#!/usr/bin/env bash
#
# Demo: our tincd and upstream tincd 1.0.36 build a VPN between two network namespaces joined
# by a veth pair, and ping each other through it. Prints every step and command as it runs,
# and removes the namespaces and daemons on exit, also after an error or Ctrl-C. Needs root.
#
# Then it runs scripts/demo-automatic.sh, three hosts that build their VPN through etcd.
#
# Environment: TINCD_OURS (default .build/release/tincd), DEMO_BUILD=0 to skip the build,
# DEMO_AUTOMATIC=0 to skip the automatic-tinc demo.

set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
if ! command -v swift >/dev/null; then
    export PATH=$PATH:/opt/swift/usr/bin
fi

tincd_ours=${TINCD_OURS:-$repo_root/.build/release/tincd}
tincd_upstream=/usr/sbin/tincd

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
    echo "demo: needs root to create network namespaces; run it with sudo" >&2
    exit 1
fi

# Namespace names carry this shell's pid, so two demos never share or delete each other's.
ns_ours=demo$$-ours
ns_upstream=demo$$-upstream
work=$(mktemp -d /tmp/swift-tinc-demo.XXXXXX)
pids=()

# Stops both daemons and removes the namespaces and files of this demo.
stop_demo() {
    printf '\n==> Cleaning up\n'
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    ip netns delete "$ns_ours" 2>/dev/null || true
    ip netns delete "$ns_upstream" 2>/dev/null || true
    rm -rf "$work"
    echo "    stopped both daemons, deleted $ns_ours and $ns_upstream, removed $work"
    pids=()
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_demo
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "install missing packages (tinc, iperf3, iproute2, ...)"
show bash scripts/install-deps.sh

if [[ ${DEMO_BUILD:-1} != 0 ]]; then
    step "build our tincd (release)"
    show swift build -c release --static-swift-stdlib
fi
if [[ ! -x $tincd_ours ]]; then
    echo "demo: our tincd not found at $tincd_ours" >&2
    exit 1
fi
echo "    ours:     $tincd_ours"
echo "    upstream: $tincd_upstream ($("$tincd_upstream" --version | head -n 1))"

step "create two network namespaces joined by a veth pair (underlay 10.210.0.0/24)"
show ip netns add "$ns_ours"
show ip netns add "$ns_upstream"
show ip -n "$ns_ours" link add veth0 type veth peer name veth0 netns "$ns_upstream"
show ip -n "$ns_ours" addr add 10.210.0.1/24 dev veth0
show ip -n "$ns_upstream" addr add 10.210.0.2/24 dev veth0
for ns in "$ns_ours" "$ns_upstream"; do
    show ip -n "$ns" link set lo up
    show ip -n "$ns" link set veth0 up
done

# write_config NAME VPN_ADDRESS [CONNECT_TO]
write_config() {
    local name=$1 vpn_address=$2 connect_to=${3:-}
    local dir=$work/$name
    mkdir -p "$dir/hosts"
    {
        echo "Name = $name"
        echo "Mode = router"
        echo "Interface = vpn0"
        if [[ -n $connect_to ]]; then
            echo "ConnectTo = $connect_to"
        fi
    } >"$dir/tinc.conf"
    printf 'Subnet = %s/32\n' "$vpn_address" >"$dir/hosts/$name"
    # shellcheck disable=SC2016 # $INTERFACE is for tinc-up to expand, not this script
    printf '#!/bin/sh\nip link set "$INTERFACE" up\nip addr add %s/24 dev "$INTERFACE"\n' \
        "$vpn_address" >"$dir/tinc-up"
    chmod 755 "$dir/tinc-up"
}

step "write a tinc configuration directory per node (VPN 10.211.0.0/24)"
write_config swift 10.211.0.1 upstream
write_config upstream 10.211.0.2
for file in swift/tinc.conf swift/hosts/swift swift/tinc-up upstream/tinc.conf upstream/hosts/upstream; do
    echo "    --- $work/$file"
    sed 's/^/    | /' "$work/$file"
done

step "generate a 2048-bit RSA key pair per node with each node's own tincd -K"
show "$tincd_ours" -c "$work/swift" -K2048 </dev/null 2>/dev/null
show "$tincd_upstream" -c "$work/upstream" -K2048 </dev/null 2>/dev/null
echo "    each -K wrote rsa_key.priv and appended the public key to hosts/NAME"

step "exchange host files: each node gets the other's public key and underlay Address"
{ echo "Address = 10.210.0.2"; cat "$work/upstream/hosts/upstream"; } >"$work/swift/hosts/upstream"
{ echo "Address = 10.210.0.1"; cat "$work/swift/hosts/swift"; } >"$work/upstream/hosts/swift"
echo "    $work/swift/hosts/upstream and $work/upstream/hosts/swift written"

step "start upstream tincd in $ns_upstream and ours in $ns_ours (ours connects)"
ip netns exec "$ns_upstream" "$tincd_upstream" -c "$work/upstream" -D -d1 \
    --logfile="$work/upstream.log" --pidfile="$work/upstream.pid" </dev/null >/dev/null 2>&1 &
pids+=("$!")
echo "    $ ip netns exec $ns_upstream $tincd_upstream -c $work/upstream -D -d1 --logfile=... &"

# Starting ours only once upstream listens saves ours a refused first attempt and a retry.
deadline=$((SECONDS + 15))
until [[ $(ip netns exec "$ns_upstream" ss -Htln) == *":655 "* ]]; do
    if ((SECONDS >= deadline)); then
        echo "demo: upstream tincd does not listen on port 655 after 15 s" >&2
        tail -n 20 "$work/upstream.log" >&2 || true
        exit 1
    fi
    sleep 0.2
done
ip netns exec "$ns_ours" "$tincd_ours" -c "$work/swift" -D -d1 \
    --logfile="$work/swift.log" --pidfile="$work/swift.pid" </dev/null >/dev/null 2>&1 &
pids+=("$!")
echo "    $ ip netns exec $ns_ours $tincd_ours -c $work/swift -D -d1 --logfile=... &"

step "wait (up to 30 s) until a ping from ours reaches upstream through the tunnel"
deadline=$((SECONDS + 30))
until ip netns exec "$ns_ours" ping -n -q -c 1 -W 1 10.211.0.2 >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
        echo "demo: no ping reply through the tunnel within 30 s; last log lines:" >&2
        tail -n 20 "$work/swift.log" "$work/upstream.log" >&2 || true
        exit 1
    fi
    sleep 0.5
done
echo "    the tunnel is up"

step "ping through the tunnel in both directions"
show ip netns exec "$ns_ours" ping -n -c 3 -i 0.3 10.211.0.2
show ip netns exec "$ns_upstream" ping -n -c 3 -i 0.3 10.211.0.1

step "what the daemons logged about the meta connection"
grep -h -E 'activated|Connection|Ready' "$work/swift.log" "$work/upstream.log" | sed 's/^/    | /' || true

printf '\n==> Done: our tincd and upstream tincd 1.0.36 exchanged pings over the VPN.\n'

# The steps above installed the packages and, unless DEMO_BUILD=0, built automatic-tinc too, so
# the second demo skips both. This demo's namespaces go first.
if [[ ${DEMO_AUTOMATIC:-1} != 0 ]]; then
    trap - EXIT INT TERM
    stop_demo
    printf '\n==> Next: the automatic-tinc demo (scripts/demo-automatic.sh)\n'
    DEMO_BUILD=0 exec bash scripts/demo-automatic.sh
fi
