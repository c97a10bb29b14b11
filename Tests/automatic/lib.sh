# shellcheck shell=bash
#
# Helpers for the automatic-tinc system tests, on top of Tests/interop/lib.sh (case runner,
# PASS/FAIL lines, cleanup, tn_fail, tn_ping).
#
# Every case gets one test network. A "switch" namespace holds a bridge br0 at 10.202.N.254/24,
# where etcd listens (client port 2379, peer port 2380, nothing else). Each node has a namespace
# of its own, joined to the bridge by a veth pair, with node K at 10.202.N.K. N is the case
# number, and a case's addresses exist only inside its own namespaces. Each node runs
#   automatic-tinc --etcd http://10.202.N.254:2379 --etcd-api API --public-address 10.202.N.K
#                  --name NAME --config-root CASE_DIR/NAME --key-bits 1024 -d3
# with its output in CASE_DIR/NAME.log. The VPN address of a node is not chosen by the test:
# at_wait_registered reads it from etcd (addresses/N = NAME) and checks it on the node's tun0.
#
# A test file sources this file, defines one function per case and runs each with
#   at_case "NAME" FUNCTION [ARGS...]
# and ends with tn_finish. Inside a case:
#   at_network v2|v3              switch namespace and etcd (v2: --enable-v2=true)
#   at_node NAME                  namespace on the bridge, not started
#   at_start NAME [OPTIONS...]    start automatic-tinc in the background (extra options appended)
#   at_wait_registered NAME 30    wait until etcd and tun0 agree on NAME's VPN address
#   at_mesh node1 node2 ...       at_node, at_start and at_wait_registered for each, one by one
#   at_wait_ping A B 30           wait for a ping from A to B across the VPN
#   at_etcd get|list|put|delete|fill ...   tools/etcd_kv.py inside the switch namespace
# Helpers that detect a problem call tn_fail, which ends the case; do not call them in $(...).
#
# Environment:
#   AUTOMATIC_TINC   the binary under test (default: .build/release/automatic-tinc)
#   TN_FILTER, TN_KEEP, TINCD_UPSTREAM   as for the interop tests

AT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Set before lib.sh reads them: namespace names start with "at" and the run id, and the work
# directory is apart from the interop tests'.
TN_RUN_ID=${TN_RUN_ID:-at$$}
TN_WORKDIR=${TN_WORKDIR:-/tmp/swift-tinc-automatic.$TN_RUN_ID}

# shellcheck source=Tests/interop/lib.sh
source "$AT_HERE/../interop/lib.sh"

AUTOMATIC_TINC=${AUTOMATIC_TINC:-$TN_REPO_ROOT/.build/release/automatic-tinc}
if [[ $AUTOMATIC_TINC != /* ]]; then
    AUTOMATIC_TINC=$PWD/$AUTOMATIC_TINC
fi

AT_TOOLS=$AT_HERE/tools
AT_NETWORK=automatic-tinc
AT_PREFIX=/tinc-vpn.org/$AT_NETWORK
AT_INTERFACE=tun0
AT_KEY_BITS=1024

# at_set_subnet CIDR: the VPN subnet that registrations are checked against, as AT_SUBNET and
# as the 32-bit AT_SUBNET_BASE and AT_SUBNET_MASK and the prefix length AT_SUBNET_BITS.
at_set_subnet() {
    local cidr=$1 a b c d
    IFS=./ read -r a b c d AT_SUBNET_BITS <<<"$cidr"
    AT_SUBNET=$cidr
    AT_SUBNET_MASK=$((0xFFFFFFFF << (32 - AT_SUBNET_BITS) & 0xFFFFFFFF))
    AT_SUBNET_BASE=$(((a << 24 | b << 16 | c << 8 | d) & AT_SUBNET_MASK))
}

# automatic-tinc's default --subnet.
at_set_subnet 172.16.0.0/13

# automatic-tinc reads these; a value left in the caller's environment would change every case.
unset TINC_NETWORK_NAME TINC_NETWORK_SUBNET ETCD_ENDPOINTS ETCD_API ETCD_CA_FILE ETCD_CERT_FILE \
    ETCD_KEY_FILE ETCD_USERNAME ETCD_PASSWORD TINC_NODE_NAME TINC_PUBLIC_ADDRESS TINC_CONFIG_ROOT \
    TINC_PORT TINC_KEY_BITS TINC_CONNECT_TO TINC_INTERFACE NOTIFY_SOCKET

# ---------------------------------------------------------------------------------------------
# Case runner

# at_case NAME FUNCTION [ARGS...]: tn_case, plus the automatic-tinc prerequisites and the removal
# of etcd's data directory (64 MB of preallocated WAL) even when the case fails.
at_case() {
    local name=$1
    shift
    tn_case "$name" at_case_body "$@"
}

at_case_body() {
    trap 'at_case_exit $?' EXIT
    declare -gA AT_PUBLIC=() AT_LOG=()
    AT_START_ENV=()
    AT_NEXT_HOST=1
    AT_SWITCH=""
    AT_ETCD_PID=""
    at_check_prerequisites
    "$@"
}

at_case_exit() {
    local status=$1
    tn_case_exit "$status"
    rm -rf "$TN_CASE_DIR/etcd-data"
}

at_check_prerequisites() {
    local tool
    for tool in etcd curl; do
        if ! command -v "$tool" >/dev/null; then
            tn_fail "$tool not found; install the Debian packages etcd-server and curl (scripts/install-deps.sh)"
        fi
    done
}

# Checked where the binary is used, so that harness checks without it can run.
at_require_binary() {
    if [[ ! -x $AUTOMATIC_TINC ]]; then
        tn_fail "automatic-tinc not found or not executable at $AUTOMATIC_TINC; build it with 'make build' or set AUTOMATIC_TINC"
    fi
}

# Replaces the interop version: our logs are CASE_DIR/NAME.log, and etcd's log matters too.
tn_collect_details() {
    local node
    for node in "${TN_NODES[@]}"; do
        if [[ -s ${AT_LOG[$node]:-} ]]; then
            tn_print_tail "$node.log (${TN_BIN[$node]##*/})" "${AT_LOG[$node]}" 30
        fi
    done
    # etcd logs JSON lines, mostly at level info; only its warnings and errors can explain a failure.
    if grep -v '"level":"info"' "$TN_CASE_DIR/etcd.log" >"$TN_CASE_DIR/etcd-warnings.txt" 2>/dev/null; then
        tn_print_tail "etcd.log (warnings and errors)" "$TN_CASE_DIR/etcd-warnings.txt" 8
    fi
    local file
    for file in "$TN_CASE_DIR"/*.out; do
        if [[ -s $file ]]; then
            tn_print_tail "${file##*/}" "$file" 15
        fi
    done
}

# ---------------------------------------------------------------------------------------------
# Test network and etcd

# at_network v2|v3: the switch namespace with its bridge, and etcd on the bridge address. v2
# starts etcd with the v2 keys API enabled and makes the nodes use it; v3 leaves it disabled.
at_network() {
    AT_API=$1
    local lan_number=$((TN_CASES_RUN % 250 + 1))
    AT_LAN=10.202.$lan_number
    AT_ETCD_IP=$AT_LAN.254
    AT_ETCD_URL=http://$AT_ETCD_IP:2379

    AT_SWITCH=$TN_CASE_ID-sw
    ip netns add "$AT_SWITCH"
    TN_NAMESPACES+=("$AT_SWITCH")
    ip -n "$AT_SWITCH" link set lo up
    ip -n "$AT_SWITCH" link add br0 type bridge
    # A bridge without a MAC address of its own takes the lowest one of its ports. A node added
    # later could then change it under the ARP entries of the earlier nodes, whose packets to
    # etcd would go nowhere until those entries expired.
    ip -n "$AT_SWITCH" link set br0 address "02:00:0a:ca:$(printf '%02x' "$lan_number"):fe"
    ip -n "$AT_SWITCH" addr add "$AT_ETCD_IP/24" dev br0
    ip -n "$AT_SWITCH" link set br0 up

    at_start_etcd
}

# Starts etcd in the switch namespace, on the data directory of the case (new or kept from a
# previous start), and waits up to 20 s for /health.
at_start_etcd() {
    local enable_v2=false
    if [[ $AT_API == v2 ]]; then
        enable_v2=true
    fi
    ip netns exec "$AT_SWITCH" etcd --name "$TN_CASE_ID" --data-dir "$TN_CASE_DIR/etcd-data" \
        --listen-client-urls "$AT_ETCD_URL" --advertise-client-urls "$AT_ETCD_URL" \
        --listen-peer-urls "http://$AT_ETCD_IP:2380" \
        --initial-advertise-peer-urls "http://$AT_ETCD_IP:2380" \
        --initial-cluster "$TN_CASE_ID=http://$AT_ETCD_IP:2380" \
        --enable-v2="$enable_v2" --logger=zap --log-outputs=stderr \
        </dev/null >>"$TN_CASE_DIR/etcd.log" 2>&1 &
    AT_ETCD_PID=$!
    TN_HELPER_PIDS+=("$AT_ETCD_PID")

    local deadline=$((SECONDS + 20)) health
    while true; do
        health=$(ip netns exec "$AT_SWITCH" curl -s --max-time 2 "$AT_ETCD_URL/health" 2>/dev/null || true)
        if [[ $health == *'"health":"true"'* ]]; then
            break
        fi
        if ! kill -0 "$AT_ETCD_PID" 2>/dev/null; then
            tn_fail "etcd exited during startup; see etcd.log"
        fi
        if ((SECONDS >= deadline)); then
            tn_fail "etcd at $AT_ETCD_URL not healthy within 20 s (last answer: ${health:-none})"
        fi
        sleep 0.2
    done
    tn_info "etcd ($AT_API) healthy at $AT_ETCD_URL"
}

# Stops etcd with SIGTERM and waits for it to exit; its data directory stays for at_start_etcd.
at_stop_etcd() {
    tn_stop_process "$AT_ETCD_PID"
    AT_ETCD_PID=""
}

# at_etcd COMMAND ARGS...: tools/etcd_kv.py with this case's endpoint and API version, run in the
# switch namespace, because etcd listens only there.
at_etcd() {
    tn_run timeout 60 ip netns exec "$AT_SWITCH" python3 "$AT_TOOLS/etcd_kv.py" \
        --endpoint "$AT_ETCD_URL" --api "$AT_API" "$@"
}

# ---------------------------------------------------------------------------------------------
# Addresses

# Prints the dotted quad of a 32-bit number.
at_dotted() {
    local n=$1
    printf '%d.%d.%d.%d\n' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255))
}

# Prints the registrations in etcd, "NAME ADDRESS" per addresses/N key, sorted by name. Fails
# the case when a key under addresses/ is not a decimal number or lies outside AT_SUBNET. It
# runs inside $(...), where tn_fail only records the reason. The failed substitution then ends
# the case through the ERR trap, which reports the recorded reason.
at_registrations() {
    local listing key value number
    listing=$(at_etcd list "$AT_PREFIX/addresses/")
    while IFS=$'\t' read -r key value; do
        if [[ -z $key ]]; then
            continue
        fi
        number=${key##*/}
        if [[ ! $number =~ ^[0-9]+$ ]]; then
            tn_fail "etcd key $key under addresses/ is not a decimal address (value \"$value\")"
        fi
        if (((number & AT_SUBNET_MASK) != AT_SUBNET_BASE)); then
            tn_fail "etcd key $key ($(at_dotted "$number"), $value) lies outside $AT_SUBNET"
        fi
        echo "$value $(at_dotted "$number")"
    done <<<"$listing" | sort
}

# ---------------------------------------------------------------------------------------------
# Nodes

# at_node NAME: the node's namespace on the bridge at the next host address.
at_node() {
    local name=$1
    local ns=$TN_CASE_ID-$name
    local host=$AT_NEXT_HOST
    AT_NEXT_HOST=$((AT_NEXT_HOST + 1))

    ip netns add "$ns"
    TN_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    ip -n "$ns" link add ul0 type veth peer name "p$host" netns "$AT_SWITCH"
    ip -n "$AT_SWITCH" link set "p$host" master br0 up
    ip -n "$ns" addr add "$AT_LAN.$host/24" dev ul0
    ip -n "$ns" link set ul0 up

    TN_NODES+=("$name")
    TN_NS[$name]=$ns
    TN_DIR[$name]=$TN_CASE_DIR/$name
    TN_BIN[$name]=$AUTOMATIC_TINC
    TN_VPN[$name]=""
    TN_PID[$name]=""
    AT_PUBLIC[$name]=$AT_LAN.$host
    AT_LOG[$name]=$TN_CASE_DIR/$name.log
    mkdir -p "${TN_DIR[$name]}"
}

# The node's network directory: CONFIG_ROOT/NETWORK.
at_conf_dir() {
    echo "${TN_DIR[$1]}/$AT_NETWORK"
}

# at_start NAME [OPTIONS...]: starts automatic-tinc in NAME's namespace in the background, with
# the options every node runs with and then OPTIONS.
at_start() {
    local name=$1
    shift
    at_launch "$name" --etcd "$AT_ETCD_URL" --etcd-api "$AT_API" \
        --public-address "${AT_PUBLIC[$name]}" --name "$name" --config-root "${TN_DIR[$name]}" \
        --key-bits "$AT_KEY_BITS" -d3 "$@"
}

# at_launch NAME ARGUMENTS...: starts automatic-tinc with exactly ARGUMENTS, and with the
# environment variables in the array AT_START_ENV (VAR=VALUE words) if a case set it. The output
# goes to CASE_DIR/NAME.log. `ip netns exec` and env exec the binary, so $! is its pid.
at_launch() {
    local name=$1
    shift
    at_require_binary
    echo "=== $(date +%T) starting:${AT_START_ENV[*]:+ ${AT_START_ENV[*]}} automatic-tinc $*" >>"${AT_LOG[$name]}"
    ip netns exec "${TN_NS[$name]}" env "${AT_START_ENV[@]}" "$AUTOMATIC_TINC" "$@" \
        </dev/null >>"${AT_LOG[$name]}" 2>&1 &
    TN_PID[$name]=$!
}

# Replaces the interop version for a message that names the binary and its log.
at_check_alive() {
    local name=$1 status=0
    if tn_is_alive "$name"; then
        return 0
    fi
    if [[ -z ${TN_PID[$name]:-} ]]; then
        tn_fail "${TN_BIN[$name]##*/} on $name is not running"
    fi
    wait "${TN_PID[$name]}" 2>/dev/null || status=$?
    TN_PID[$name]=""
    tn_fail "${TN_BIN[$name]##*/} on $name exited unexpectedly with status $status (see $name.log)"
}

# Prints the IPv4 addresses (ADDRESS/PREFIX) on NAME's tun0, one per line.
at_tun_addresses() {
    local name=$1 addresses
    addresses=$(ip -n "${TN_NS[$name]}" -4 -o addr show dev "$AT_INTERFACE" 2>/dev/null || true)
    awk '{ for (i = 1; i < NF; i++) if ($i == "inet") print $(i + 1) }' <<<"$addresses"
}

# at_wait_registered NAME TIMEOUT: waits until exactly one addresses/N key in etcd names NAME and
# NAME's tun0 carries that address with the subnet's prefix length. Sets TN_VPN[NAME] to it.
at_wait_registered() {
    local name=$1 timeout=$2
    local started=$SECONDS deadline=$((SECONDS + timeout))
    local registrations addresses address count

    while true; do
        at_check_alive "$name"
        registrations=$(at_registrations)
        addresses=$(awk -v name="$name" '$1 == name { print $2 }' <<<"$registrations")
        count=$(grep -c . <<<"$addresses" || true)
        if ((count > 1)); then
            tn_fail "$name holds $count addresses in etcd: ${addresses//$'\n'/, }"
        fi
        if ((count == 1)) && at_tun_addresses "$name" | grep -qFx "$addresses/$AT_SUBNET_BITS"; then
            address=$addresses
            break
        fi
        if ((SECONDS >= deadline)); then
            if ((count == 0)); then
                tn_fail "$name registered no address in etcd within $timeout s"
            fi
            local on_tun
            on_tun=$(at_tun_addresses "$name")
            tn_fail "$name registered $addresses in etcd, but $AT_INTERFACE has \"${on_tun//$'\n'/, }\", not $addresses/$AT_SUBNET_BITS, after $timeout s"
        fi
        sleep 0.3
    done

    TN_VPN[$name]=$address
    tn_info "$name registered $address after $((SECONDS - started)) s"
}

# at_mesh NAME...: adds, starts and waits for each node in turn.
at_mesh() {
    local name
    for name in "$@"; do
        at_node "$name"
        at_start "$name"
        at_wait_registered "$name" 30
    done
}

# at_stop NAME: SIGTERM, and SIGKILL after 5 s. Fails the case if the process had to be killed
# or exited with a status other than 0, because SIGTERM must stop automatic-tinc cleanly.
at_stop() {
    local name=$1
    local pid=${TN_PID[$name]} status=0 i
    at_check_alive "$name"
    kill -TERM "$pid"
    for ((i = 0; i < 50; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        TN_PID[$name]=""
        tn_fail "$name did not exit within 5 s of SIGTERM"
    fi
    wait "$pid" 2>/dev/null || status=$?
    TN_PID[$name]=""
    if [[ $status != 0 ]]; then
        tn_fail "$name exited with status $status after SIGTERM, expected 0"
    fi
}

# at_kill_namespace NAME: SIGKILL to every process in NAME's namespace (automatic-tinc and any
# script it runs), so nothing gets to clean up.
# Waits up to 5 s until the namespace holds no process, so that a restart finds none of them.
at_kill_namespace() {
    local name=$1 pid
    local deadline=$((SECONDS + 5))
    for pid in $(ip netns pids "${TN_NS[$name]}"); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait "${TN_PID[$name]}" 2>/dev/null || true
    TN_PID[$name]=""
    while [[ -n $(ip netns pids "${TN_NS[$name]}") ]]; do
        if ((SECONDS >= deadline)); then
            tn_fail "processes in $name's namespace still run 5 s after SIGKILL"
        fi
        sleep 0.1
    done
}

# at_cli NAME OUTPUT COMMAND [ARGS...]: runs `automatic-tinc COMMAND ARGS` (list, forget NAME) in
# NAME's namespace against this case's etcd, with its output in CASE_DIR/OUTPUT.out.
at_cli() {
    local name=$1 output=$TN_CASE_DIR/$2.out
    shift 2
    local status=0
    at_require_binary
    tn_run timeout 30 ip netns exec "${TN_NS[$name]}" "$AUTOMATIC_TINC" "$@" \
        --etcd "$AT_ETCD_URL" --etcd-api "$AT_API" </dev/null >"$output" 2>&1 || status=$?
    if [[ $status != 0 ]]; then
        tn_fail "automatic-tinc $* exited with status $status: $(tail -n 1 "$output")"
    fi
}

# ---------------------------------------------------------------------------------------------
# Checks

# at_wait_ping FROM TO TIMEOUT: tn_wait_ping with the automatic-tinc alive check.
at_wait_ping() {
    local from=$1 to=$2 timeout=$3
    local started=$SECONDS deadline=$((SECONDS + timeout))
    until tn_ping "$from" "$to"; do
        at_check_alive "$from"
        at_check_alive "$to"
        if ((SECONDS >= deadline)); then
            tn_fail "no ping reply from $to (${TN_VPN[$to]}) to $from within $timeout s"
        fi
        sleep 0.5
    done
    if ((SECONDS - started > 1)); then
        tn_info "ping $from -> $to answered after $((SECONDS - started)) s"
    fi
}

# at_ping_all TIMEOUT NAME...: every node pings every other.
at_ping_all() {
    local timeout=$1
    shift
    local from to
    for from in "$@"; do
        for to in "$@"; do
            if [[ $from != "$to" ]]; then
                at_wait_ping "$from" "$to" "$timeout"
            fi
        done
    done
    tn_info "all $# nodes ping each other: $*"
}

# at_host_file NAME PEER: the path of hosts/PEER in NAME's network directory.
at_host_file() {
    echo "$(at_conf_dir "$1")/hosts/$2"
}

# Prints the public key block of a host file (the lines from BEGIN to END).
at_public_key() {
    sed -n '/-----BEGIN RSA PUBLIC KEY-----/,/-----END RSA PUBLIC KEY-----/p' "$1"
}

# at_wait_host_file NAME PEER TIMEOUT: waits until NAME's hosts/PEER carries the public key that
# etcd's configs/PEER carries.
at_wait_host_file() {
    local name=$1 peer=$2 timeout=$3
    local deadline=$((SECONDS + timeout)) expected file=$TN_CASE_DIR/configs-$peer.etcd
    at_etcd get "$AT_PREFIX/configs/$peer" >"$file" || tn_fail "etcd has no configs/$peer"
    expected=$(at_public_key "$file")
    if [[ -z $expected ]]; then
        tn_fail "etcd's configs/$peer has no RSA public key"
    fi
    until [[ -f $(at_host_file "$name" "$peer") && $(at_public_key "$(at_host_file "$name" "$peer")") == "$expected" ]]; do
        at_check_alive "$name"
        if ((SECONDS >= deadline)); then
            if [[ -f $(at_host_file "$name" "$peer") ]]; then
                tn_fail "$name's hosts/$peer does not carry the public key of etcd's configs/$peer after $timeout s"
            fi
            tn_fail "$name wrote no hosts/$peer within $timeout s"
        fi
        sleep 0.3
    done
}

# at_wait_no_host_file NAME PEER TIMEOUT: waits until NAME's hosts/PEER is gone.
at_wait_no_host_file() {
    local name=$1 peer=$2 timeout=$3
    local deadline=$((SECONDS + timeout))
    while [[ -e $(at_host_file "$name" "$peer") ]]; do
        at_check_alive "$name"
        if ((SECONDS >= deadline)); then
            tn_fail "$name still has hosts/$peer $timeout s later"
        fi
        sleep 0.3
    done
}

# Prints NAME's established TCP connections from or to a tinc port (655), as
# "LOCAL PEER" lines, sorted: the meta connections of the node.
at_meta_connections() {
    local name=$1 sockets
    sockets=$(ip netns exec "${TN_NS[$name]}" ss -Htn state established 2>/dev/null || true)
    awk '$3 ~ /:655$/ || $4 ~ /:655$/ { print $3, $4 }' <<<"$sockets" | sort
}

# at_save_connections NAME...: records each node's meta connections in CASE_DIR/NAME.meta.
at_save_connections() {
    local name count
    for name in "$@"; do
        at_meta_connections "$name" >"$TN_CASE_DIR/$name.meta"
        count=$(grep -c . "$TN_CASE_DIR/$name.meta" || true)
        if ((count == 0)); then
            tn_fail "$name has no meta connection to compare later"
        fi
    done
}

# at_expect_connections_kept NAME...: each node still has every meta connection that
# at_save_connections recorded, with the same local and remote ports.
at_expect_connections_kept() {
    local name lost
    for name in "$@"; do
        lost=$(at_meta_connections "$name" | comm -23 "$TN_CASE_DIR/$name.meta" - | tr '\n' ' ')
        if [[ -n $lost ]]; then
            tn_fail "$name lost meta connections it had before: $lost"
        fi
    done
    tn_info "meta connections of $* unchanged"
}

# at_count_log NAME TEXT: prints how many lines of NAME's log contain TEXT (a fixed string).
at_count_log() {
    local name=$1 text=$2
    grep -cF -- "$text" "${AT_LOG[$name]}" 2>/dev/null || true
}
