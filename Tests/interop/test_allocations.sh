#!/usr/bin/env bash
#
# The packet path must allocate nothing per packet: buffers are reused and cipher and HMAC
# contexts are made once per key. Two of our daemons run with an LD_PRELOAD library that counts
# malloc, calloc and realloc calls. A flood of 5000 pings through the tunnel (10000 packets
# through each daemon) may cost at most a few allocations, for timers and requests that happen
# to fall in the same seconds.

# shellcheck disable=SC2317
# shellcheck source=Tests/interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/tools" && pwd)

# Prints the last malloc count NAME's daemon reported after a SIGWINCH.
mallocs() {
    local name=$1 before
    before=$(grep -c '^MALLOCS ' "${TN_DIR[$name]}/stderr.log" || true)
    kill -WINCH "${TN_PID[$name]}"
    local deadline=$((SECONDS + 5))
    until (($(grep -c '^MALLOCS ' "${TN_DIR[$name]}/stderr.log" || true) > before)); do
        if ((SECONDS >= deadline)); then
            echo "none"
            return
        fi
        sleep 0.1
    done
    grep '^MALLOCS ' "${TN_DIR[$name]}/stderr.log" | tail -n 1 | cut -d' ' -f2
}

allocations() {
    local library=$TN_CASE_DIR/malloc_counter.so
    if ! gcc -shared -fPIC -O2 -o "$library" "$TOOLS/malloc_counter.c" -ldl 2>"$TN_CASE_DIR/gcc.log"; then
        tn_fail "could not build the malloc counter: $(head -n 3 "$TN_CASE_DIR/gcc.log")"
    fi
    # ip netns exec runs the wrapper, which execs tincd: the pid stays the daemon's.
    local wrapper=$TN_CASE_DIR/tincd-counted
    printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$library" "$TINCD_OURS" >"$wrapper"
    chmod 755 "$wrapper"

    tn_node a "$wrapper" "$TINCD_OURS"
    tn_node b "$wrapper" "$TINCD_OURS"
    tn_link a b
    tn_connect a b
    tn_configure
    tn_start b
    tn_start a
    tn_wait_ping a b 30

    # Let PMTU discovery finish, so the flood takes the settled UDP path.
    ip netns exec "${TN_NS[a]}" ping -n -q -c 20 -i 0.2 "${TN_VPN[b]}" >/dev/null
    local a_before b_before a_after b_after
    a_before=$(mallocs a)
    b_before=$(mallocs b)
    if [[ $a_before == none || $b_before == none ]]; then
        tn_fail "the daemons did not report malloc counts; is the counter loaded?"
    fi
    if ! ip netns exec "${TN_NS[a]}" ping -n -q -f -c 5000 "${TN_VPN[b]}" >"$TN_CASE_DIR/flood.log" 2>&1; then
        tn_fail "the ping flood lost packets: $(tail -n 2 "$TN_CASE_DIR/flood.log" | head -n 1)"
    fi
    a_after=$(mallocs a)
    b_after=$(mallocs b)
    tn_info "allocations during 5000 pings: a $((a_after - a_before)), b $((b_after - b_before))"
    if ((a_after - a_before > 50 || b_after - b_before > 50)); then
        tn_fail "the packet path allocates: a $((a_after - a_before)) and b $((b_after - b_before)) allocations for 10000 packets each"
    fi
}

tn_case "packet path allocates nothing per packet (ours on both ends)" allocations
tn_finish
