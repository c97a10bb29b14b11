#!/usr/bin/env bash
#
# A peer that stops responding without closing its TCP connection (its link goes down) is found
# dead by PingInterval and PingTimeout, and the outgoing connection is retried with a growing
# delay until the link is back.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dead_peer() {
    local binary=$1

    tn_node a "$binary"
    tn_node b "$TINCD_UPSTREAM"
    tn_link a b
    tn_connect a b
    tn_conf a "PingInterval = 2"
    tn_conf a "PingTimeout = 1"
    tn_conf a "MaxTimeout = 10"
    tn_configure
    tn_start b
    tn_start a
    tn_wait_ping a b 30

    ip -n "${TN_NS[b]}" link set ul0 down
    tn_expect_log a "b (${TN_ADDR[b|a]} port $TN_PORT) didn't respond to PING" 15
    tn_expect_log a "Trying to re-establish outgoing connection in 5 seconds" 15
    tn_expect_log a "Trying to re-establish outgoing connection in 10 seconds" 30
    ip -n "${TN_NS[b]}" link set ul0 up
    tn_wait_ping a b 40
    tn_expect_ping a b
}

tn_case "dead peer found by PING: upstream (harness check)" dead_peer "$TINCD_UPSTREAM"
tn_case "dead peer found by PING: ours" dead_peer "$TINCD_OURS"
tn_finish
