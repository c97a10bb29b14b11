#!/usr/bin/env bash
#
# One node of a running three-node mesh changes: it is killed with SIGKILL and restarted, it
# restarts with a new key pair, or it is stopped and forgotten.

# The case functions run only through at_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/automatic/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# SIGKILL leaves no chance to clean up: tun0 vanishes, the alive key stays until it expires.
# Started again on the same config root, node3 must come back with the address it had.
killed_node_keeps_address() {
    at_network "$1"
    at_mesh node1 node2 node3
    at_ping_all 40 node1 node2 node3

    local address_before=${TN_VPN[node3]}
    at_kill_namespace node3
    tn_info "killed every process in node3's namespace"

    at_start node3
    at_wait_registered node3 30
    if [[ ${TN_VPN[node3]} != "$address_before" ]]; then
        tn_fail "node3 came back with ${TN_VPN[node3]}, it had $address_before before SIGKILL"
    fi
    at_ping_all 40 node1 node2 node3
}

# node3 restarts without its rsa_key.priv, so it generates a new key pair and publishes it. An
# upstream tincd that still has the old key, under node3's name, must lose its place: it
# authenticates while the peers know only the old key, and no longer once they have the new one.
regenerated_key_replaces_old() {
    at_network "$1"
    at_mesh node1 node2 node3
    at_ping_all 40 node1 node2 node3

    at_stop node3
    local old=$TN_CASE_DIR/old-node3
    cp -a "$(at_conf_dir node3)" "$old"
    rm -f "$(at_conf_dir node3)/rsa_key.priv"

    # The old-key copy: upstream tincd with node3's old key and the peers' host files as
    # automatic-tinc wrote them, in its own namespace on the bridge, with no tinc-up.
    rm -f "$old/tinc-up" "$old/tinc-down" "$old/tinc.conf"
    printf 'Name = node3\nInterface = tun0\nConnectTo = node1\nConnectTo = node2\n' >"$old/tinc.conf"
    at_node old
    TN_BIN[old]=$TINCD_UPSTREAM
    ip netns exec "${TN_NS[old]}" "$TINCD_UPSTREAM" -c "$old" -D -d3 \
        --pidfile="$old/tincd.pid" --logfile="${AT_LOG[old]}" </dev/null >/dev/null 2>&1 &
    TN_PID[old]=$!
    local deadline=$((SECONDS + 30))
    until [[ $(at_count_log old "activated") -gt 0 ]]; do
        at_check_alive old
        if ((SECONDS >= deadline)); then
            tn_fail "upstream tincd with node3's old key made no meta connection within 30 s while the peers still had the old key"
        fi
        sleep 0.3
    done
    tn_info "old-key copy authenticated while the peers had the old key"

    at_start node3
    at_wait_registered node3 30
    local new_key old_key
    at_etcd get "$AT_PREFIX/configs/node3" >"$TN_CASE_DIR/configs-node3.new"
    new_key=$(at_public_key "$TN_CASE_DIR/configs-node3.new")
    old_key=$(at_public_key "$old/hosts/node3")
    if [[ -z $new_key || $new_key == "$old_key" ]]; then
        tn_fail "node3 started without rsa_key.priv, but etcd's configs/node3 has no new public key"
    fi

    at_wait_host_file node1 node3 20
    at_wait_host_file node2 node3 20
    at_ping_all 40 node1 node2 node3

    # Every meta connection of the old copy must be gone, and its retries must fail.
    deadline=$((SECONDS + 20))
    local remaining
    while true; do
        remaining=$(at_meta_connections old)
        if [[ -z $remaining ]]; then
            break
        fi
        if ((SECONDS >= deadline)); then
            tn_fail "the old-key copy of node3 still has meta connections 20 s after the peers got the new key: ${remaining//$'\n'/, }"
        fi
        sleep 0.5
    done
    # tincd 1.0.36 retries 5 s after a closed connection, then 10 s, 15 s, ... later, so one
    # new attempt comes within 60 s; its authentication ends within seconds.
    local activated_before attempts_before
    activated_before=$(at_count_log old "activated")
    attempts_before=$(at_count_log old "Connected to ")
    deadline=$((SECONDS + 60))
    until (($(at_count_log old "Connected to ") > attempts_before)); do
        at_check_alive old
        if ((SECONDS >= deadline)); then
            tn_fail "the old-key copy of node3 made no new connection attempt within 60 s, so nothing was checked"
        fi
        sleep 0.5
    done
    sleep 5
    if [[ $(at_count_log old "activated") != "$activated_before" ]]; then
        tn_fail "the old-key copy of node3 authenticated again after the peers got the new key"
    fi
    tn_info "the old-key copy retried and failed to authenticate"
    tn_info "key change closings logged: node1 $(at_count_log node1 "Public key of node3 changed"), node2 $(at_count_log node2 "Public key of node3 changed")"
    at_ping_all 10 node1 node2 node3
}

# node3 stops (its address stays registered), is forgotten with `automatic-tinc forget`, and the
# others drop it: its keys leave etcd and hosts/node3 leaves every node.
forgotten_node_is_dropped() {
    at_network "$1"
    at_mesh node1 node2 node3
    at_ping_all 40 node1 node2 node3

    local address=${TN_VPN[node3]}
    at_stop node3
    local registrations
    registrations=$(at_registrations)
    if ! grep -qFx "node3 $address" <<<"$registrations"; then
        tn_fail "node3's address $address left etcd when node3 stopped; it must stay registered"
    fi

    at_cli node1 forget forget node3
    local key
    for key in "configs/node3" "alive/node3"; do
        if at_etcd get "$AT_PREFIX/$key" >/dev/null; then
            tn_fail "etcd still has $key after forget node3"
        fi
    done
    registrations=$(at_registrations)
    if grep -q '^node3 ' <<<"$registrations"; then
        tn_fail "etcd still has an addresses/ key for node3 after forget node3"
    fi

    at_wait_no_host_file node1 node3 20
    at_wait_no_host_file node2 node3 20
    at_cli node1 list list
    if grep -qw node3 "$TN_CASE_DIR/list.out"; then
        tn_fail "automatic-tinc list still shows node3 after forget"
    fi
    tn_expect_no_ping node1 node3 "node3 was stopped and forgotten"
    at_wait_ping node1 node2 10
    at_wait_ping node2 node1 10
}

at_case "killed node keeps its address (v2)" killed_node_keeps_address v2
at_case "killed node keeps its address (v3)" killed_node_keeps_address v3
at_case "regenerated key replaces old key (v2)" regenerated_key_replaces_old v2
at_case "regenerated key replaces old key (v3)" regenerated_key_replaces_old v3
at_case "forgotten node is dropped (v2)" forgotten_node_is_dropped v2
at_case "forgotten node is dropped (v3)" forgotten_node_is_dropped v3
tn_finish
