# shellcheck shell=bash
#
# Helpers for the interop tests. Each test case builds its own test network out of Linux network
# namespaces, writes one tinc configuration directory per node, starts upstream tincd 1.0.36 or
# ours on each node, and checks traffic across the VPN. Everything a case creates (namespaces,
# daemons, iperf3 servers) is removed when the case ends, whether it passed or not.
#
# A test file sources this file, defines one function per case and runs each with
#   tn_case "NAME" FUNCTION [ARGS...]
# which prints one line "PASS: NAME", "FAIL: NAME: REASON" or "SKIP: NAME: REASON". It ends with
#   tn_finish
# which exits non-zero if any case failed or was skipped.
#
# Inside a case, the network is described first and then built:
#   tn_node a "$TINCD_OURS"        node "a" runs our tincd (an optional third argument picks the
#                                  binary that generates its keys)
#   tn_link a b                    point-to-point veth pair between a and b
#   tn_lan a b c                   a, b and c on one bridge in a separate "switch" namespace
#   tn_connect a b                 "ConnectTo = b" in a's tinc.conf
#   tn_configure                   write configs, generate keys, copy host files to every node
#   tn_start a; tn_start b         start the daemons and wait for their tinc-up
#   tn_wait_ping a b 30            wait up to 30 s for a ping from a to b across the VPN
# Helpers that detect a problem call tn_fail, which ends the case. Do not call them inside $(...),
# because there tn_fail would only end the command substitution.
#
# Addresses: underlay links use 10.201.N.0/24 (one /24 per link or LAN), the VPN uses
# 10.77.0.0/24 with node number K at 10.77.0.K. Both exist only inside this run's namespaces.
#
# Environment:
#   TINCD_OURS       our tincd (default: .build/release/tincd in the repository)
#   TINCD_UPSTREAM   upstream tincd 1.0.36 (default: /usr/sbin/tincd)
#   TN_DEBUG_LEVEL   -d level for the daemons (default 3: logs every request)
#   TN_FILTER        run only cases whose name contains this text; the others print SKIP
#   TN_KEEP          1: keep the work directory of passed cases too

TN_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

TINCD_UPSTREAM=${TINCD_UPSTREAM:-/usr/sbin/tincd}
TINCD_OURS=${TINCD_OURS:-$TN_REPO_ROOT/.build/release/tincd}
if [[ $TINCD_OURS != /* ]]; then
    TINCD_OURS=$PWD/$TINCD_OURS
fi

TN_DEBUG_LEVEL=${TN_DEBUG_LEVEL:-3}
# The tinc port of every node, written to hosts/NAME. It is not the default 655, so that a daemon
# that ignores Port fails.
TN_PORT=7655
TN_IPERF_PORT=5201
TN_INTERFACE=tinc0
TN_VPN_PREFIX=10.77.0
TN_KEY_BITS=2048

# The run id prefixes every namespace name, so parallel runs and leftovers of other runs never
# collide with ours. Interface names are per namespace and need no prefix.
TN_RUN_ID=${TN_RUN_ID:-st$$}
TN_WORKDIR=${TN_WORKDIR:-/tmp/swift-tinc-interop.$TN_RUN_ID}

TN_CASES_RUN=0
TN_PASSED=0
TN_FAILED=0
TN_SKIPPED=0

# ---------------------------------------------------------------------------------------------
# Output

tn_info() {
    printf '    %s\n' "$*"
}

# Ends the current case as failed. The first reason recorded is the one reported.
tn_fail() {
    if [[ ! -s $TN_CASE_DIR/reason ]]; then
        printf '%s\n' "$*" >"$TN_CASE_DIR/reason"
    fi
    exit 1
}

# Ends the current case as skipped. A skipped case counts as not passed.
tn_skip() {
    printf '%s\n' "$*" >"$TN_CASE_DIR/reason"
    exit 77
}

# Marks the whole run as interrupted, so the parent shell stops after this case: bash ignores a
# SIGINT that a foreground child handled without dying of it, so the parent cannot rely on its trap.
tn_interrupt() {
    touch "$TN_WORKDIR/interrupted"
    tn_fail "interrupted"
}

# Runs a command in the background and waits for it. A SIGINT or SIGTERM then runs the case's
# trap at once: bash defers traps while a foreground command runs, and drops a SIGINT that the
# command handled without dying of it (ping and iperf3 do that).
tn_run() {
    "$@" &
    wait "$!"
}

tn_on_error() {
    local status=$1 command=$2 where=$3
    tn_fail "command failed with status $status: $command ($where)"
}

# ---------------------------------------------------------------------------------------------
# Case runner

tn_case() {
    local name=$1
    shift
    TN_CASES_RUN=$((TN_CASES_RUN + 1))

    if [[ -n ${TN_FILTER:-} && $name != *"$TN_FILTER"* ]]; then
        echo "SKIP: $name: not selected by TN_FILTER=$TN_FILTER"
        TN_SKIPPED=$((TN_SKIPPED + 1))
        return 0
    fi

    local case_dir=$TN_WORKDIR/case$TN_CASES_RUN
    local case_id=$TN_RUN_ID-$TN_CASES_RUN
    local started=$SECONDS status=0
    mkdir -p "$case_dir"
    echo "--- $name"

    # Not `( ... ) || status=$?`: inside a || list bash ignores set -e and the ERR trap, so a
    # failed command in the case would go unnoticed.
    (tn_case_body "$case_dir" "$case_id" "$@")
    status=$?

    if [[ -e $TN_WORKDIR/interrupted ]]; then
        echo "FAIL: $name: interrupted"
        TN_FAILED=$((TN_FAILED + 1))
        exit 130
    fi

    local elapsed=$((SECONDS - started))
    local reason="(no reason recorded)"
    if [[ -s $case_dir/reason ]]; then
        reason=$(head -n 1 "$case_dir/reason")
    fi

    case $status in
    0)
        echo "PASS: $name (${elapsed} s)"
        TN_PASSED=$((TN_PASSED + 1))
        if [[ ${TN_KEEP:-0} != 1 ]]; then
            rm -rf "$case_dir"
        fi
        ;;
    77)
        echo "SKIP: $name: $reason"
        TN_SKIPPED=$((TN_SKIPPED + 1))
        rm -rf "$case_dir"
        ;;
    *)
        echo "FAIL: $name: $reason (${elapsed} s)"
        if [[ -s $case_dir/details ]]; then
            cat "$case_dir/details"
        fi
        echo "    logs kept in $case_dir"
        TN_FAILED=$((TN_FAILED + 1))
        ;;
    esac
}

# Runs in a subshell, so every variable that tn_network_begin sets is private to one case.
tn_case_body() {
    tn_network_begin "$1" "$2"
    shift 2

    trap 'tn_case_exit $?' EXIT
    trap 'tn_interrupt' INT TERM
    set -Eeuo pipefail
    trap 'tn_on_error $? "$BASH_COMMAND" "${BASH_SOURCE[0]##*/}:$LINENO"' ERR

    tn_check_prerequisites
    "$@"
}

# tn_network_begin DIR ID: starts an empty test network whose files go to DIR and whose
# namespace names start with ID. Scripts outside tn_case (the benchmark) call it directly and
# must call tn_cleanup themselves.
tn_network_begin() {
    TN_CASE_DIR=$1
    TN_CASE_ID=$2
    mkdir -p "$TN_CASE_DIR"

    declare -gA TN_NS=() TN_DIR=() TN_BIN=() TN_KEYGEN=() TN_VPN=() TN_PID=() TN_CONNECT=()
    declare -gA TN_CONF_EXTRA=() TN_HOST_EXTRA=() TN_ADDR=() TN_IFCOUNT=()
    TN_NODES=()
    TN_NAMESPACES=()
    TN_HELPER_PIDS=()
    TN_NEXT_SUBNET=1
}

tn_case_exit() {
    local status=$1
    trap - ERR
    set +e
    if [[ $status != 0 && $status != 77 ]]; then
        tn_collect_details >"$TN_CASE_DIR/details" 2>&1
    fi
    tn_cleanup
}

tn_check_prerequisites() {
    if [[ $EUID != 0 ]]; then
        tn_skip "needs root to create network namespaces"
    fi

    local tool
    for tool in ip ping ss iperf3 python3 timeout; do
        if ! command -v "$tool" >/dev/null; then
            tn_fail "$tool not found; install the test tools with scripts/install-deps.sh"
        fi
    done
    if [[ ! -x $TINCD_UPSTREAM ]]; then
        tn_fail "upstream tincd not found at $TINCD_UPSTREAM; install the Debian package tinc"
    fi
    if [[ ! -c /dev/net/tun ]]; then
        tn_fail "/dev/net/tun is missing; tincd needs the tun driver"
    fi
}

# Prints what a reader needs to see why a case failed: the end of every log of the case.
tn_collect_details() {
    local node file
    for node in "${TN_NODES[@]}"; do
        for file in tincd.log stderr.log; do
            if [[ -s ${TN_DIR[$node]}/$file ]]; then
                tn_print_tail "$node/$file (${TN_BIN[$node]})" "${TN_DIR[$node]}/$file" 25
            fi
        done
        # The key generation log matters only when the daemon never started.
        if [[ ! -s ${TN_DIR[$node]}/tincd.log && -s ${TN_DIR[$node]}/keygen.log ]]; then
            tn_print_tail "$node/keygen.log (${TN_KEYGEN[$node]})" "${TN_DIR[$node]}/keygen.log" 5
        fi
    done
    for file in "$TN_CASE_DIR"/*.out; do
        if [[ -s $file ]]; then
            tn_print_tail "${file##*/}" "$file" 15
        fi
    done
}

# tn_print_tail TITLE FILE LINES: the last LINES lines of FILE, indented, each cut at 300 bytes.
tn_print_tail() {
    local title=$1 file=$2 lines=$3
    echo "    --- last lines of $title"
    tail -n "$lines" "$file" | cut -b 1-300 | sed 's/^/    | /'
}

# Stops every process this case started and deletes its namespaces, which also removes their
# veth pairs and bridges.
tn_cleanup() {
    local node pid ns
    for node in "${TN_NODES[@]}"; do
        if [[ -n ${TN_PID[$node]:-} ]]; then
            tn_stop_process "${TN_PID[$node]}"
        fi
    done
    for pid in "${TN_HELPER_PIDS[@]}"; do
        tn_stop_process "$pid"
    done
    for ns in "${TN_NAMESPACES[@]}"; do
        tn_delete_namespace "$ns"
    done
}

# Sends SIGTERM, waits up to 5 s, then sends SIGKILL.
tn_stop_process() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Kills what still runs inside a namespace of this run (only processes this run started can be
# there) and deletes the namespace.
tn_delete_namespace() {
    local ns=$1 pid
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns delete "$ns" 2>/dev/null || true
}

# Removes namespaces of this run that a case could not clean up (for example because the case's
# subshell was killed), and the work directory when no failed case left logs in it.
tn_cleanup_run() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
        if [[ $ns == "$TN_RUN_ID"-* ]]; then
            tn_delete_namespace "$ns"
        fi
    done
    rm -f "$TN_WORKDIR/interrupted"
    rmdir "$TN_WORKDIR" 2>/dev/null || true
}

tn_finish() {
    if [[ $TN_FAILED != 0 || $TN_SKIPPED != 0 || $TN_PASSED == 0 ]]; then
        exit 1
    fi
    exit 0
}

trap tn_cleanup_run EXIT
trap 'echo "interrupted"; touch "$TN_WORKDIR/interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Describing the network

tn_require_binary() {
    local binary=$1
    if [[ ! -x $binary ]]; then
        if [[ $binary == "$TINCD_OURS" ]]; then
            tn_fail "our tincd not found or not executable at $binary; build it with 'make build' or set TINCD_OURS"
        fi
        tn_fail "tincd not found or not executable at $binary"
    fi
}

# tn_node NAME BINARY [KEYGEN_BINARY]: creates the node's namespace and configuration directory.
tn_node() {
    local name=$1 binary=$2 keygen=${3:-$2}
    tn_require_binary "$binary"
    tn_require_binary "$keygen"

    local ns=$TN_CASE_ID-$name
    ip netns add "$ns"
    TN_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up

    TN_NODES+=("$name")
    TN_NS[$name]=$ns
    TN_DIR[$name]=$TN_CASE_DIR/$name
    TN_BIN[$name]=$binary
    TN_KEYGEN[$name]=$keygen
    TN_VPN[$name]=$TN_VPN_PREFIX.${#TN_NODES[@]}
    TN_CONNECT[$name]=""
    TN_CONF_EXTRA[$name]=""
    TN_HOST_EXTRA[$name]=""
    TN_IFCOUNT[$name]=0
    mkdir -p "${TN_DIR[$name]}/hosts"
}

# Prints the name of NAME's next underlay interface (ul0, ul1, ...).
tn_next_interface() {
    local name=$1
    echo "ul${TN_IFCOUNT[$name]}"
}

tn_count_interface() {
    local name=$1
    TN_IFCOUNT[$name]=$((TN_IFCOUNT[$name] + 1))
}

# tn_link A B: a point-to-point veth pair, A at 10.201.N.1 and B at 10.201.N.2.
tn_link() {
    local a=$1 b=$2
    local subnet=10.201.$TN_NEXT_SUBNET
    TN_NEXT_SUBNET=$((TN_NEXT_SUBNET + 1))

    local if_a if_b
    if_a=$(tn_next_interface "$a")
    if_b=$(tn_next_interface "$b")
    tn_count_interface "$a"
    tn_count_interface "$b"

    ip -n "${TN_NS[$a]}" link add "$if_a" type veth peer name "$if_b" netns "${TN_NS[$b]}"
    ip -n "${TN_NS[$a]}" addr add "$subnet.1/24" dev "$if_a"
    ip -n "${TN_NS[$b]}" addr add "$subnet.2/24" dev "$if_b"
    ip -n "${TN_NS[$a]}" link set "$if_a" up
    ip -n "${TN_NS[$b]}" link set "$if_b" up

    # TN_ADDR[X|Y] is the underlay address of X that Y can reach.
    TN_ADDR[$a|$b]=$subnet.1
    TN_ADDR[$b|$a]=$subnet.2
}

# tn_lan NODE...: all nodes on one bridge inside a "switch" namespace, node I at 10.201.N.I.
tn_lan() {
    local subnet=10.201.$TN_NEXT_SUBNET
    local switch=$TN_CASE_ID-sw$TN_NEXT_SUBNET
    TN_NEXT_SUBNET=$((TN_NEXT_SUBNET + 1))

    ip netns add "$switch"
    TN_NAMESPACES+=("$switch")
    ip -n "$switch" link add br0 type bridge
    ip -n "$switch" link set br0 up

    local node host=1 interface
    declare -A address=()
    for node in "$@"; do
        interface=$(tn_next_interface "$node")
        tn_count_interface "$node"
        ip -n "${TN_NS[$node]}" link add "$interface" type veth peer name "port-$node" netns "$switch"
        ip -n "$switch" link set "port-$node" master br0 up
        ip -n "${TN_NS[$node]}" addr add "$subnet.$host/24" dev "$interface"
        ip -n "${TN_NS[$node]}" link set "$interface" up
        address[$node]=$subnet.$host
        host=$((host + 1))
    done

    local viewer
    for node in "$@"; do
        for viewer in "$@"; do
            if [[ $node != "$viewer" ]]; then
                TN_ADDR[$node|$viewer]=${address[$node]}
            fi
        done
    done
}

tn_connect() {
    local from=$1 to=$2
    TN_CONNECT[$from]+="$to "
}

# tn_conf NAME "Variable = Value": an extra line for NAME's tinc.conf.
tn_conf() {
    local name=$1 line=$2
    TN_CONF_EXTRA[$name]+="$line"$'\n'
}

# tn_host_conf NAME "Variable = Value": an extra line for hosts/NAME, which every node gets.
tn_host_conf() {
    local name=$1 line=$2
    TN_HOST_EXTRA[$name]+="$line"$'\n'
}

# ---------------------------------------------------------------------------------------------
# Writing configuration

tn_configure() {
    local node
    for node in "${TN_NODES[@]}"; do
        tn_write_config "$node"
    done
    for node in "${TN_NODES[@]}"; do
        tn_generate_keys "$node" "${TN_KEYGEN[$node]}"
    done
    for node in "${TN_NODES[@]}"; do
        tn_distribute_host_file "$node"
    done
}

tn_write_config() {
    local name=$1
    local dir=${TN_DIR[$name]} peer

    {
        echo "Name = $name"
        echo "Mode = router"
        echo "Interface = $TN_INTERFACE"
        for peer in ${TN_CONNECT[$name]}; do
            echo "ConnectTo = $peer"
        done
        printf '%s' "${TN_CONF_EXTRA[$name]}"
    } >"$dir/tinc.conf"

    # Port belongs in the host file: the nodes that connect to NAME read it from there.
    {
        echo "Subnet = ${TN_VPN[$name]}/32"
        echo "Port = $TN_PORT"
        printf '%s' "${TN_HOST_EXTRA[$name]}"
    } >"$dir/hosts/$name"

    cat >"$dir/tinc-up" <<EOF
#!/bin/sh
ip link set "\$INTERFACE" up
ip addr add ${TN_VPN[$name]}/24 dev "\$INTERFACE"
EOF
    chmod 755 "$dir/tinc-up"
}

# Generates NAME's key pair with BINARY -K. Standard input is /dev/null, so tincd takes the
# default file names (rsa_key.priv, hosts/NAME) without asking.
tn_generate_keys() {
    local name=$1 binary=$2
    local dir=${TN_DIR[$name]} status=0

    tn_run timeout 120 "$binary" -c "$dir" -K"$TN_KEY_BITS" </dev/null >>"$dir/keygen.log" 2>&1 || status=$?
    if [[ $status != 0 ]]; then
        tn_fail "key generation for $name with $binary -K exited with status $status"
    fi
    if ! grep -q -- '-----BEGIN RSA PRIVATE KEY-----' "$dir/rsa_key.priv" 2>/dev/null; then
        tn_fail "key generation for $name with $binary -K wrote no private key to rsa_key.priv"
    fi
    if ! grep -q -- '-----BEGIN RSA PUBLIC KEY-----' "$dir/hosts/$name"; then
        tn_fail "key generation for $name with $binary -K wrote no public key to hosts/$name"
    fi
}

# Copies hosts/NAME to every other node, with the Address that node can reach NAME at. A node
# with no direct link to NAME gets the file without Address: it reaches NAME through the VPN.
tn_distribute_host_file() {
    local name=$1 viewer
    for viewer in "${TN_NODES[@]}"; do
        if [[ $viewer == "$name" ]]; then
            continue
        fi
        {
            if [[ -n ${TN_ADDR[$name|$viewer]:-} ]]; then
                echo "Address = ${TN_ADDR[$name|$viewer]}"
            fi
            cat "${TN_DIR[$name]}/hosts/$name"
        } >"${TN_DIR[$viewer]}/hosts/$name"
    done
}

# ---------------------------------------------------------------------------------------------
# Running daemons

# tn_start NAME: starts NAME's tincd in the foreground (-D) as a background job of this case and
# waits up to 15 s until tinc-up has given the VPN interface its address.
tn_start() {
    local name=$1
    local dir=${TN_DIR[$name]}
    rm -f "$dir/tincd.pid"

    # `ip netns exec` execs the command, so $! is the daemon's own pid.
    ip netns exec "${TN_NS[$name]}" "${TN_BIN[$name]}" -c "$dir" -D -d"$TN_DEBUG_LEVEL" \
        --pidfile="$dir/tincd.pid" --logfile="$dir/tincd.log" \
        </dev/null >>"$dir/stderr.log" 2>&1 &
    TN_PID[$name]=$!

    local deadline=$((SECONDS + 15)) addresses
    while true; do
        addresses=$(ip -n "${TN_NS[$name]}" -4 -o addr show dev "$TN_INTERFACE" 2>/dev/null || true)
        if [[ $addresses == *"inet ${TN_VPN[$name]}/"* ]]; then
            break
        fi
        tn_check_alive "$name"
        if ((SECONDS >= deadline)); then
            tn_fail "tincd on $name did not bring up $TN_INTERFACE with ${TN_VPN[$name]} within 15 s"
        fi
        sleep 0.2
    done
}

tn_is_alive() {
    local name=$1
    [[ -n ${TN_PID[$name]:-} ]] && kill -0 "${TN_PID[$name]}" 2>/dev/null
}

tn_check_alive() {
    local name=$1 status=0
    if tn_is_alive "$name"; then
        return 0
    fi
    if [[ -z ${TN_PID[$name]:-} ]]; then
        tn_fail "tincd on $name is not running"
    fi
    wait "${TN_PID[$name]}" 2>/dev/null || status=$?
    TN_PID[$name]=""
    tn_fail "tincd on $name (${TN_BIN[$name]}) exited unexpectedly with status $status"
}

# tn_stop NAME: SIGTERM, and SIGKILL if the daemon is still running after 5 s.
tn_stop() {
    local name=$1
    tn_stop_process "${TN_PID[$name]}"
    TN_PID[$name]=""
}

# tn_kill9 NAME: kills the daemon with SIGKILL, so it cannot close its meta connections itself.
tn_kill9() {
    local name=$1
    kill -KILL "${TN_PID[$name]}"
    wait "${TN_PID[$name]}" 2>/dev/null || true
    TN_PID[$name]=""
}

tn_signal() {
    local name=$1 signal=$2
    tn_check_alive "$name"
    kill -s "$signal" "${TN_PID[$name]}"
}

# ---------------------------------------------------------------------------------------------
# Checks across the VPN

# tn_ping FROM TO [COUNT]: succeeds when every echo request got a reply.
tn_ping() {
    local from=$1 to=$2 count=${3:-1}
    tn_run ip netns exec "${TN_NS[$from]}" ping -n -q -c "$count" -i 0.2 -W 2 "${TN_VPN[$to]}" >/dev/null 2>&1
}

# tn_wait_ping FROM TO TIMEOUT: waits until a ping from FROM to TO across the VPN gets a reply.
tn_wait_ping() {
    local from=$1 to=$2 timeout=$3
    local started=$SECONDS
    local deadline=$((SECONDS + timeout))
    until tn_ping "$from" "$to"; do
        tn_check_alive "$from"
        tn_check_alive "$to"
        if ((SECONDS >= deadline)); then
            tn_fail "no ping reply from $to (${TN_VPN[$to]}) to $from within $timeout s"
        fi
        sleep 0.5
    done
    tn_info "ping $from -> $to answered after $((SECONDS - started)) s"
}

# tn_expect_log NAME TEXT [TIMEOUT]: waits up to TIMEOUT seconds (default 5) until NAME's log
# contains TEXT (a fixed string).
tn_expect_log() {
    local name=$1 text=$2 timeout=${3:-5}
    local deadline=$((SECONDS + timeout))
    until grep -qF -- "$text" "${TN_DIR[$name]}/tincd.log" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            tn_fail "$name did not log \"$text\" within $timeout s"
        fi
        sleep 0.2
    done
    tn_info "$name logged: $text"
}

# tn_expect_ping FROM TO: sends 5 echo requests, and each must get a reply.
tn_expect_ping() {
    local from=$1 to=$2
    if ! tn_ping "$from" "$to" 5; then
        tn_fail "ping from $from to $to (${TN_VPN[$to]}) lost replies after the tunnel was up"
    fi
    tn_info "ping $from -> $to: 5 of 5 answered"
}

tn_expect_no_ping() {
    local from=$1 to=$2 why=$3
    if tn_ping "$from" "$to"; then
        tn_fail "ping from $from to $to (${TN_VPN[$to]}) was answered, but $why"
    fi
}

# tn_iperf FROM TO SECONDS [-R]: one iperf3 TCP stream from FROM to TO's VPN address (with -R,
# from TO to FROM). Fails unless data arrived. Sets TN_IPERF_BYTES and TN_IPERF_MBITS to the
# amount and rate the receiver counted.
tn_iperf() {
    local from=$1 to=$2 seconds=$3 reverse=${4:-}
    local tag=iperf-$from-$to${reverse:+-reverse}
    local server_out=$TN_CASE_DIR/$tag-server.out client_json=$TN_CASE_DIR/$tag.json

    ip netns exec "${TN_NS[$to]}" iperf3 -s -1 -B "${TN_VPN[$to]}" -p "$TN_IPERF_PORT" \
        </dev/null >"$server_out" 2>&1 &
    local server=$!
    TN_HELPER_PIDS+=("$server")
    tn_wait_listening "$to" "${TN_VPN[$to]}:$TN_IPERF_PORT" "$server"

    local status=0 i
    tn_run timeout $((seconds + 30)) ip netns exec "${TN_NS[$from]}" iperf3 -c "${TN_VPN[$to]}" \
        -p "$TN_IPERF_PORT" -t "$seconds" --connect-timeout 5000 -J ${reverse:+"$reverse"} \
        </dev/null >"$client_json" 2>"$TN_CASE_DIR/$tag-client.out" || status=$?

    # The server (-1) exits after one test, but not when the client never reached it.
    for ((i = 0; i < 50; i++)); do
        if ! kill -0 "$server" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    tn_stop_process "$server"

    if [[ $status != 0 ]]; then
        local error
        error=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error", ""))' \
            "$client_json" 2>/dev/null || true)
        tn_fail "iperf3 $from -> $to${reverse:+ (reverse)} exited with status $status${error:+: $error}"
    fi

    local summary
    summary=$(tn_iperf_summary "$client_json")
    TN_IPERF_BYTES=${summary%% *}
    TN_IPERF_MBITS=${summary##* }
    if [[ -z $TN_IPERF_BYTES || $TN_IPERF_BYTES == 0 ]]; then
        tn_fail "iperf3 $from -> $to${reverse:+ (reverse)} received no data"
    fi
    tn_info "iperf3 $from -> $to${reverse:+ (reverse)}: $TN_IPERF_BYTES bytes in $seconds s, $TN_IPERF_MBITS Mbit/s"
}

# Prints "RECEIVED_BYTES MBITS_PER_SECOND" from an iperf3 -J report.
tn_iperf_summary() {
    python3 - "$1" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
received = report["end"]["sum_received"]
print(int(received["bytes"]), "%.1f" % (received["bits_per_second"] / 1e6))
EOF
}

# tn_wait_listening NAME ADDRESS:PORT PID: waits up to 5 s for a TCP listener in NAME's namespace.
tn_wait_listening() {
    local name=$1 endpoint=$2 pid=$3
    local deadline=$((SECONDS + 5))
    until tn_listening_endpoints "$name" | grep -Fx "$endpoint" >/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
            tn_fail "nothing listens on $endpoint in $name after 5 s"
        fi
        sleep 0.1
    done
}

tn_listening_endpoints() {
    local name=$1 sockets
    sockets=$(ip netns exec "${TN_NS[$name]}" ss -Htln 2>/dev/null || true)
    awk '{ print $4 }' <<<"$sockets"
}

# ---------------------------------------------------------------------------------------------
# Meta connections

# tn_meta_port FROM TO: prints the local port of FROM's established TCP meta connection to TO's
# tinc port, owned by FROM's tincd, or nothing if there is none.
tn_meta_port() {
    local from=$1 to=$2
    local peer=${TN_ADDR[$to|$from]:-}:$TN_PORT sockets
    sockets=$(tn_established_sockets "$from")
    awk -v peer="$peer" -v pid="pid=${TN_PID[$from]}," '
            $0 ~ pid {
                for (i = 1; i < NF; i++) {
                    if ($(i + 1) == peer) {
                        n = split($i, local_end, ":")
                        print local_end[n]
                    }
                }
            }' <<<"$sockets"
}

# Prints the established TCP sockets in NAME's namespace with their owning processes.
tn_established_sockets() {
    local name=$1
    ip netns exec "${TN_NS[$name]}" ss -Htnp state established 2>/dev/null || true
}

# tn_has_meta_from NAME PEER PORT: whether NAME's tincd has an established connection from PEER's
# address and local port PORT.
tn_has_meta_from() {
    local name=$1 peer=$2 port=$3
    local endpoint=${TN_ADDR[$peer|$name]}:$port sockets
    sockets=$(tn_established_sockets "$name")
    awk -v peer="$endpoint" -v pid="pid=${TN_PID[$name]}," \
        '$0 ~ pid { for (i = 1; i <= NF; i++) if ($i == peer) found = 1 } END { exit !found }' \
        <<<"$sockets"
}

# tn_wait_meta FROM TO TIMEOUT: waits for FROM's meta connection to TO.
tn_wait_meta() {
    local from=$1 to=$2 timeout=$3
    local deadline=$((SECONDS + timeout))
    until [[ -n $(tn_meta_port "$from" "$to") ]]; do
        tn_check_alive "$from"
        if ((SECONDS >= deadline)); then
            tn_fail "$from made no meta connection to $to within $timeout s"
        fi
        sleep 0.5
    done
}
