#!/usr/bin/env bash
#
# What etcd does to a running mesh: an outage, a v2 watch whose history was cleared while the
# node was stopped, and a malformed value under configs/.

# The case functions run only through at_case, which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=Tests/automatic/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# tincd carries the traffic, so etcd being away for 20 s must not stop it. Once etcd is back,
# the others must see a node added afterwards.
etcd_outage() {
    at_network "$1"
    at_mesh node1 node2 node3
    at_ping_all 40 node1 node2 node3

    at_stop_etcd
    tn_info "etcd stopped"

    # 40 echo requests 0.5 s apart span the 20 s outage. One lost reply is tolerated, because
    # ping counts a reply that comes after its last request's wait as lost.
    local outage_end=$((SECONDS + 20)) pair from to
    local pings=()
    for pair in node1:node2 node2:node3 node3:node1; do
        from=${pair%%:*}
        to=${pair##*:}
        ip netns exec "${TN_NS[$from]}" ping -n -q -c 40 -i 0.5 -W 2 "${TN_VPN[$to]}" \
            >"$TN_CASE_DIR/outage-$from-$to.out" 2>&1 &
        pings+=("$!")
        TN_HELPER_PIDS+=("$!")
    done
    local pid
    for pid in "${pings[@]}"; do
        wait "$pid" || true
    done
    for pair in node1:node2 node2:node3 node3:node1; do
        from=${pair%%:*}
        to=${pair##*:}
        local received
        received=$(grep -oE '[0-9]+ received' "$TN_CASE_DIR/outage-$from-$to.out" | cut -d ' ' -f 1 || true)
        if [[ -z $received || $received -lt 39 ]]; then
            tn_fail "during the etcd outage $from -> $to got ${received:-no} replies of 40"
        fi
        tn_info "during the etcd outage $from -> $to: $received of 40 replies"
    done
    if ((SECONDS < outage_end)); then
        sleep $((outage_end - SECONDS))
    fi
    for from in node1 node2 node3; do
        at_check_alive "$from"
    done

    at_start_etcd
    at_mesh node4
    for from in node1 node2 node3; do
        at_wait_host_file "$from" node4 60
        at_wait_ping "$from" node4 30
        at_wait_ping node4 "$from" 30
    done
}

# etcd 3.4's v2 store keeps the last 1000 events. node3 is stopped (SIGSTOP) while node4 joins
# and more than 1000 other keys are written, so its watch index is cleared when it resumes.
# It must list the keys again and learn node4 from etcd (hosts/node4), not only from the meta
# protocol. A long poll node3 had open when it stopped is answered with the first change under
# configs/, which node3 reads on resuming; a decoy key takes that place, so node4's keys are
# only in the cleared history.
v2_history_cleared() {
    at_network v2
    at_mesh node1 node2 node3
    at_ping_all 40 node1 node2 node3

    kill -STOP "${TN_PID[node3]}"
    tn_info "node3 stopped (SIGSTOP)"
    at_etcd put "$AT_PREFIX/configs/decoy" "written first, so that a pending long poll returns it"
    at_mesh node4
    at_etcd fill "$AT_PREFIX/noise" 1100
    tn_info "wrote 1100 keys under $AT_PREFIX/noise"
    kill -CONT "${TN_PID[node3]}"
    tn_info "node3 continued (SIGCONT)"

    at_wait_host_file node3 node4 60
    at_wait_ping node3 node4 30
    at_wait_ping node4 node3 30
    at_ping_all 20 node1 node2 node3 node4
}

# A value under configs/ that is no host file is skipped with a warning that names it. It is
# not repeated on later changes, no hosts/bogus appears, no meta connection closes and the
# pings go on.
malformed_config_skipped() {
    at_network "$1"
    at_mesh node1 node2 node3
    at_ping_all 40 node1 node2 node3
    at_save_connections node1 node2 node3

    at_etcd put "$AT_PREFIX/configs/bogus" "this is not a host file"
    local node deadline
    declare -A warnings=()
    for node in node1 node2 node3; do
        deadline=$((SECONDS + 20))
        until (($(at_count_log "$node" bogus) > 0)); do
            at_check_alive "$node"
            if ((SECONDS >= deadline)); then
                tn_fail "$node logged no line naming configs/bogus within 20 s"
            fi
            sleep 0.3
        done
    done
    sleep 2
    for node in node1 node2 node3; do
        warnings[$node]=$(at_count_log "$node" bogus)
        tn_info "$node: $(grep -m 1 -F bogus "${AT_LOG[$node]}" | cut -b 1-200)"
    done

    # Another change under configs/ makes every node read its keys again.
    at_etcd put "$AT_PREFIX/configs/zz-unrelated" "also not a host file, but written later"
    sleep 5
    for node in node1 node2 node3; do
        at_check_alive "$node"
        if [[ $(at_count_log "$node" bogus) != "${warnings[$node]}" ]]; then
            tn_fail "$node logged configs/bogus again after an unrelated change ($(at_count_log "$node" bogus) lines, ${warnings[$node]} before)"
        fi
        if [[ -e $(at_host_file "$node" bogus) ]]; then
            tn_fail "$node wrote hosts/bogus from a malformed value"
        fi
    done

    at_ping_all 10 node1 node2 node3
    at_expect_connections_kept node1 node2 node3
}

at_case "etcd outage: traffic flows, later node is seen (v3)" etcd_outage v3
at_case "v2 watch history cleared while node stopped" v2_history_cleared
at_case "malformed config value skipped (v3)" malformed_config_skipped v3
tn_finish
