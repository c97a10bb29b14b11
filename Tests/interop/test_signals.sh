#!/usr/bin/env bash
#
# Signals as tincd 1.0.36 handles them. USR1 and USR2 dump connections, nodes, edges and subnets
# to the log, and ALRM retries connections at once. HUP with a removed host file closes only that
# peer's connection, and TERM runs tinc-down before the daemon exits.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dumps() {
    local binary=$1

    tn_node a "$binary"
    tn_node b "$TINCD_UPSTREAM"
    tn_link a b
    tn_connect a b
    tn_configure
    tn_start b
    tn_start a
    tn_wait_ping a b 30

    tn_signal a USR1
    tn_expect_log a "Connections:"
    tn_expect_log a " b at ${TN_ADDR[b|a]} port $TN_PORT"
    tn_expect_log a "End of connections."
    tn_signal a USR2
    tn_expect_log a "Nodes:"
    tn_expect_log a "End of nodes."
    tn_expect_log a " a to b at ${TN_ADDR[b|a]} port $TN_PORT"
    tn_expect_log a "End of edges."
    tn_expect_log a " ${TN_VPN[b]}/32#10 owner b"
    tn_expect_log a "End of subnet list."
    tn_signal a ALRM
    tn_expect_log a "Flushing event queue"
    tn_check_alive a
    tn_expect_ping a b
}

removed_host_file() {
    local binary=$1

    tn_node a "$binary"
    tn_node b "$TINCD_UPSTREAM"
    tn_node c "$TINCD_UPSTREAM"
    tn_lan a b c
    tn_connect a b
    tn_connect a c
    tn_configure
    tn_start b
    tn_start c
    tn_start a
    tn_wait_ping a b 30
    tn_wait_ping a c 30

    # c no longer belongs to the VPN as far as a is concerned.
    sed -i '/^ConnectTo = c$/d' "${TN_DIR[a]}/tinc.conf"
    rm "${TN_DIR[a]}/hosts/c"
    tn_signal a HUP
    tn_expect_log a "Closing connection with c"
    tn_expect_ping a b
    local activations
    activations=$(grep -c "Connection with b .* activated" "${TN_DIR[a]}/tincd.log" || true)
    if [[ $activations != 1 ]]; then
        tn_fail "a activated its connection with b $activations times; SIGHUP disturbed it"
    fi
    tn_info "the connection with b stayed up"
}

term_runs_tinc_down() {
    local binary=$1

    tn_node a "$binary"
    tn_node b "$TINCD_UPSTREAM"
    tn_link a b
    tn_connect a b
    tn_configure
    cat >"${TN_DIR[a]}/tinc-down" <<EOF
#!/bin/sh
echo "\$NAME \$INTERFACE" > "${TN_DIR[a]}/tinc-down.ran"
EOF
    chmod 755 "${TN_DIR[a]}/tinc-down"
    tn_start b
    tn_start a
    tn_wait_ping a b 30

    tn_stop a
    if [[ ! -s ${TN_DIR[a]}/tinc-down.ran ]]; then
        tn_fail "tinc-down did not run when a got SIGTERM"
    fi
    if [[ $(cat "${TN_DIR[a]}/tinc-down.ran") != "a $TN_INTERFACE" ]]; then
        tn_fail "tinc-down ran with NAME and INTERFACE \"$(cat "${TN_DIR[a]}/tinc-down.ran")\""
    fi
    tn_info "tinc-down ran with NAME=a INTERFACE=$TN_INTERFACE"
}

tn_case "USR1, USR2, ALRM: upstream (harness check)" dumps "$TINCD_UPSTREAM"
tn_case "USR1, USR2, ALRM: ours" dumps "$TINCD_OURS"
tn_case "HUP with a removed host file: upstream (harness check)" removed_host_file "$TINCD_UPSTREAM"
tn_case "HUP with a removed host file: ours" removed_host_file "$TINCD_OURS"
tn_case "TERM runs tinc-down: upstream (harness check)" term_runs_tinc_down "$TINCD_UPSTREAM"
tn_case "TERM runs tinc-down: ours" term_runs_tinc_down "$TINCD_OURS"
tn_finish
