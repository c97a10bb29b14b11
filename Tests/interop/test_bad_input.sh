#!/usr/bin/env bash
#
# Bad input aimed at a running daemon: malformed requests, requests out of order, an over-long
# line, a forged identity, a bad meta key and UDP garbage. Each must be logged with the peer's
# address, and the daemon must keep running with its existing meta connection untouched.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOL=$(dirname "${BASH_SOURCE[0]}")/tools/send_bad_input.py

send_bad() {
    ip netns exec "${TN_NS[b]}" python3 "$TOOL" "${TN_ADDR[a|b]}" "$TN_PORT" "$@"
}

bad_input() {
    local target=$1 peer=$2

    tn_node a "$target"
    tn_node b "$peer"
    tn_link a b
    tn_connect b a
    tn_configure
    tn_start a
    tn_start b
    tn_wait_ping b a 30

    local from="${TN_ADDR[b|a]} port"
    send_bad bogus
    tn_expect_log a "Bogus data received from <unknown> ($from"
    send_bad unknown-request
    tn_expect_log a "Unknown request from <unknown> ($from"
    send_bad unauthorized
    tn_expect_log a "Unauthorized request from <unknown> ($from"
    send_bad unknown-identity
    tn_expect_log a "had unknown identity (mallory)"
    send_bad own-name "0 a 17"
    tn_expect_log a "Got bad ID from <unknown> ($from"
    send_bad overlong
    tn_expect_log a "Metadata read buffer overflow for <unknown> ($from"
    send_bad bad-metakey "0 b 17"
    tn_expect_log a "Possible intruder b ($from"
    send_bad udp-garbage
    tn_expect_log a "Received UDP packet from unknown source $from"

    tn_check_alive a
    tn_expect_ping b a
    tn_expect_ping a b
    local activations
    activations=$(grep -c "Connection with b .* activated" "${TN_DIR[a]}/tincd.log" || true)
    if [[ $activations != 1 ]]; then
        tn_fail "a activated its connection with b $activations times; bad input disturbed it"
    fi
    tn_info "the meta connection between a and b was activated once and stayed up"
}

tn_case "bad input: upstream target (harness check)" bad_input "$TINCD_UPSTREAM" "$TINCD_UPSTREAM"
tn_case "bad input: ours as target, upstream peer" bad_input "$TINCD_OURS" "$TINCD_UPSTREAM"
tn_finish
