#!/usr/bin/env bash
#
# The process around the mesh: the systemd readiness message, a clean stop on SIGTERM, and
# options given as environment variables.

# The case functions run only through at_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/automatic/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# at_notify_listener PATH OUTPUT: a unix datagram socket at PATH, as systemd's NOTIFY_SOCKET,
# that appends every message it receives to OUTPUT.
at_notify_listener() {
    local path=$1 output=$2
    python3 -c '
import socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(sys.argv[1])
with open(sys.argv[2], "a") as output:
    while True:
        message = listener.recv(4096).decode(errors="replace")
        output.write(message.replace("\n", " ") + "\n")
        output.flush()
' "$path" "$output" &
    TN_HELPER_PIDS+=("$!")
    local deadline=$((SECONDS + 5))
    until [[ -S $path ]]; do
        if ((SECONDS >= deadline)); then
            tn_fail "the notify listener did not create $path within 5 s"
        fi
        sleep 0.1
    done
}

# With NOTIFY_SOCKET set, READY=1 must come once the VPN interface has its address, since a
# Type=notify unit orders the units after it (flanneld) on that message. SIGTERM must run
# tinc-down, exit with status 0 and leave the address registered; a restart keeps it.
ready_and_clean_stop() {
    at_network v3
    at_node node1
    local socket=$TN_CASE_DIR/notify.sock notifications=$TN_CASE_DIR/notify.out
    at_notify_listener "$socket" "$notifications"

    AT_START_ENV=("NOTIFY_SOCKET=$socket")
    at_start node1
    AT_START_ENV=()
    local deadline=$((SECONDS + 30))
    until grep -q 'READY=1' "$notifications"; do
        at_check_alive node1
        if ((SECONDS >= deadline)); then
            tn_fail "node1 sent no READY=1 to NOTIFY_SOCKET within 30 s"
        fi
        sleep 0.1
    done
    local addresses
    addresses=$(at_tun_addresses node1)
    if [[ $addresses != 172.* ]]; then
        tn_fail "node1 sent READY=1 before $AT_INTERFACE had its VPN address (it had \"$addresses\")"
    fi
    at_wait_registered node1 10
    local address=${TN_VPN[node1]}

    # A wrapper around tinc-down records that it ran, with its environment and exit status.
    local down marker=$TN_CASE_DIR/tinc-down.ran
    down=$(at_conf_dir node1)/tinc-down
    if [[ ! -x $down ]]; then
        tn_fail "node1 wrote no executable tinc-down"
    fi
    mv "$down" "$down.original"
    # shellcheck disable=SC2016 # $0, $INTERFACE and $status are for the wrapper to expand
    printf '#!/bin/sh\n"$0.original"\nstatus=$?\necho "INTERFACE=$INTERFACE status=$status" >%s\nexit $status\n' \
        "$marker" >"$down"
    chmod 755 "$down"

    at_stop node1
    if [[ ! -s $marker ]]; then
        tn_fail "tinc-down did not run when node1 stopped on SIGTERM"
    fi
    if ! grep -q "INTERFACE=$AT_INTERFACE status=0" "$marker"; then
        tn_fail "tinc-down ran, but not as expected: $(cat "$marker")"
    fi
    tn_info "tinc-down ran: $(cat "$marker")"
    local registrations
    registrations=$(at_registrations)
    if ! grep -qFx "node1 $address" <<<"$registrations"; then
        tn_fail "node1's address $address left etcd when node1 stopped; it must stay registered"
    fi

    at_start node1
    at_wait_registered node1 30
    if [[ ${TN_VPN[node1]} != "$address" ]]; then
        tn_fail "node1 came back with ${TN_VPN[node1]} after a clean stop, it had $address"
    fi
}

# node1 gets every option from the environment (only --key-bits and -d, which the environment
# does not set here, as flags) with a network name and subnet of its own and ETCD_API=auto
# against a v3-only etcd; node2 gets the same settings as flags. They must meet under the
# network's own key prefix, inside its subnet, and ping each other.
options_from_environment() {
    at_network v3
    AT_NETWORK=envnet
    AT_PREFIX=/tinc-vpn.org/$AT_NETWORK
    at_set_subnet 10.99.0.0/16
    at_node node1
    at_node node2

    AT_START_ENV=(
        "TINC_NETWORK_NAME=$AT_NETWORK" "TINC_NETWORK_SUBNET=$AT_SUBNET"
        "ETCD_ENDPOINTS=$AT_ETCD_URL" "ETCD_API=auto" "TINC_NODE_NAME=node1"
        "TINC_PUBLIC_ADDRESS=${AT_PUBLIC[node1]}" "TINC_CONFIG_ROOT=${TN_DIR[node1]}"
    )
    at_launch node1 --key-bits "$AT_KEY_BITS" -d3
    AT_START_ENV=()
    at_wait_registered node1 30
    if [[ ! -f $(at_conf_dir node1)/tinc.conf ]]; then
        tn_fail "node1 wrote no tinc.conf under TINC_CONFIG_ROOT/TINC_NETWORK_NAME ($(at_conf_dir node1))"
    fi
    local config=$TN_CASE_DIR/configs-node1.etcd
    at_etcd get "$AT_PREFIX/configs/node1" >"$config" || tn_fail "etcd has no $AT_PREFIX/configs/node1"
    if ! grep -qE "^Address *= *${AT_PUBLIC[node1]}\$" "$config"; then
        tn_fail "configs/node1 does not carry Address = ${AT_PUBLIC[node1]} from TINC_PUBLIC_ADDRESS"
    fi
    if ! grep -qE "^Subnet *= *${TN_VPN[node1]}/32\$" "$config"; then
        tn_fail "configs/node1 does not carry Subnet = ${TN_VPN[node1]}/32"
    fi

    at_start node2 --network "$AT_NETWORK" --subnet "$AT_SUBNET"
    at_wait_registered node2 30
    at_ping_all 40 node1 node2
}

at_case "READY=1 and clean stop on SIGTERM (v3)" ready_and_clean_stop
at_case "options from environment variables (v3)" options_from_environment
tn_finish
