#!/usr/bin/env bash
#
# SIGHUP after adding a ConnectTo line to tinc.conf. Three nodes share one bridge. a starts with
# "ConnectTo = b" only, and c has no ConnectTo, so c is unreachable at first. After the new line
# and SIGHUP, a must connect to c, and its meta connection to b must be the same TCP connection as
# before (same local port on a's side, still established on b's side): upstream 1.0.36 keeps
# connections whose host file did not change.

# The case functions run only through tn_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sighup_adds_connection() {
    local binary_a=$1 binary_others=$2

    tn_node a "$binary_a"
    tn_node b "$binary_others"
    tn_node c "$binary_others"
    tn_lan a b c
    tn_connect a b
    tn_configure
    tn_start b
    tn_start c
    tn_start a

    tn_wait_ping a b 30
    tn_wait_meta a b 10
    local port_before
    port_before=$(tn_meta_port a b)
    tn_info "meta connection a -> b uses local port $port_before"
    if [[ -n $(tn_meta_port a c) ]]; then
        tn_fail "a is connected to c before the ConnectTo line was added"
    fi
    tn_expect_no_ping a c "c has no meta connection yet"

    echo "ConnectTo = c" >>"${TN_DIR[a]}/tinc.conf"
    tn_signal a HUP
    tn_info "added 'ConnectTo = c' to a's tinc.conf and sent SIGHUP"

    tn_wait_meta a c 30
    tn_wait_ping a c 30
    tn_expect_ping c a

    local port_after
    port_after=$(tn_meta_port a b)
    if [[ $port_after != "$port_before" ]]; then
        tn_fail "meta connection a -> b changed after SIGHUP: local port was $port_before, now '${port_after}'"
    fi
    if ! tn_has_meta_from b a "$port_before"; then
        tn_fail "b no longer has the meta connection from a's port $port_before after SIGHUP"
    fi
    tn_info "meta connection a -> b still uses local port $port_after"
    tn_expect_ping a b
    tn_expect_ping b a
}

tn_case "SIGHUP new ConnectTo: all upstream (harness check)" sighup_adds_connection "$TINCD_UPSTREAM" "$TINCD_UPSTREAM"
tn_case "SIGHUP new ConnectTo: ours reloads, upstream peers" sighup_adds_connection "$TINCD_OURS" "$TINCD_UPSTREAM"
tn_case "SIGHUP new ConnectTo: upstream reloads, ours as peers" sighup_adds_connection "$TINCD_UPSTREAM" "$TINCD_OURS"
tn_finish
