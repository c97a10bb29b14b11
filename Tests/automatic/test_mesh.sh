#!/usr/bin/env bash
#
# Building the mesh from etcd alone: four nodes get distinct addresses and ping each other, a
# fifth node joins a running mesh without disturbing it, and ten nodes started at the same moment
# claim ten distinct addresses.

# The case functions run only through at_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/automatic/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Four nodes, one after another: distinct addresses in 172.16.0.0/13, an alive key each, a row
# each in `automatic-tinc list`, and pings between every pair.
four_nodes() {
    at_network "$1"
    at_mesh node1 node2 node3 node4

    local registrations duplicates
    registrations=$(at_registrations)
    tn_info "etcd: ${registrations//$'\n'/, }"
    duplicates=$(awk '{ print $2 }' <<<"$registrations" | sort | uniq -d)
    if [[ -n $duplicates ]]; then
        tn_fail "address $duplicates is registered twice: ${registrations//$'\n'/, }"
    fi
    if [[ $(grep -c . <<<"$registrations") != 4 ]]; then
        tn_fail "etcd holds $(grep -c . <<<"$registrations") addresses/ keys for 4 nodes: ${registrations//$'\n'/, }"
    fi

    local node
    for node in node1 node2 node3 node4; do
        if ! at_etcd get "$AT_PREFIX/alive/$node" >/dev/null; then
            tn_fail "etcd has no alive/$node while $node runs"
        fi
        at_wait_host_file node1 "$node" 20
    done

    # `list` prints a table; each node's row must name the node and its VPN address.
    at_cli node2 list list
    for node in node1 node2 node3 node4; do
        if ! grep -E "(^|[[:space:]])$node([[:space:]]|$)" "$TN_CASE_DIR/list.out" | grep -qF "${TN_VPN[$node]}"; then
            tn_fail "automatic-tinc list has no row with $node and ${TN_VPN[$node]}"
        fi
    done

    at_ping_all 40 node1 node2 node3 node4
}

# A fifth node joins the running mesh of four: every old node writes hosts/node5 and pings
# node5 (and node5 them) with the same process as before, and keeps every meta connection it had.
fifth_node_joins() {
    at_network "$1"
    at_mesh node1 node2 node3 node4
    at_ping_all 40 node1 node2 node3 node4

    local node
    declare -A pid_before=()
    for node in node1 node2 node3 node4; do
        pid_before[$node]=${TN_PID[$node]}
    done
    at_save_connections node1 node2 node3 node4

    at_mesh node5
    for node in node1 node2 node3 node4; do
        at_wait_host_file "$node" node5 20
        at_wait_ping "$node" node5 30
        at_wait_ping node5 "$node" 30
    done

    for node in node1 node2 node3 node4; do
        at_check_alive "$node"
        if [[ ${TN_PID[$node]} != "${pid_before[$node]}" ]]; then
            tn_fail "$node was restarted"
        fi
    done
    at_expect_connections_kept node1 node2 node3 node4
}

# Ten nodes started together race for addresses: each must end up with its own, and node1
# reaches all of them.
ten_nodes_at_once() {
    at_network "$1"

    local names=() index node
    for index in $(seq 1 10); do
        names+=("node$index")
        at_node "node$index"
    done
    for node in "${names[@]}"; do
        at_start "$node"
    done
    for node in "${names[@]}"; do
        at_wait_registered "$node" 60
    done

    local registrations duplicates count
    registrations=$(at_registrations)
    count=$(grep -c . <<<"$registrations")
    if [[ $count != 10 ]]; then
        tn_fail "etcd holds $count addresses/ keys for 10 nodes: ${registrations//$'\n'/, }"
    fi
    duplicates=$(awk '{ print $2 }' <<<"$registrations" | sort | uniq -d)
    if [[ -n $duplicates ]]; then
        tn_fail "address $duplicates is registered twice: ${registrations//$'\n'/, }"
    fi
    tn_info "etcd: ${registrations//$'\n'/, }"

    for node in "${names[@]:1}"; do
        at_wait_ping node1 "$node" 40
    done
}

at_case "four nodes ping each other (v2)" four_nodes v2
at_case "four nodes ping each other (v3)" four_nodes v3
at_case "fifth node joins running mesh (v2)" fifth_node_joins v2
at_case "fifth node joins running mesh (v3)" fifth_node_joins v3
at_case "ten nodes started at once (v3)" ten_nodes_at_once v3
tn_finish
