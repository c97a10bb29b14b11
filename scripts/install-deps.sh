#!/usr/bin/env bash
#
# Installs the Debian 12 packages that building, testing, the demo and the benchmark need, and
# checks that the Swift toolchain is there. Safe to run again: when every package is already
# installed it only checks, and it runs `apt-get update` at most once, only when something is
# missing. Installing needs root.

set -euo pipefail

packages=(
    # upstream tincd 1.0.36, the reference for the interop tests and the benchmark
    tinc
    # test networks and measurements
    iperf3 iproute2 iputils-ping procps psmisc python3 openssl curl
    # gcc builds the malloc counter of Tests/interop/test_allocations.sh
    gcc libc6-dev
    # C libraries our tincd links against, found with pkg-config
    libssl-dev zlib1g-dev liblzo2-dev libcurl4-openssl-dev pkg-config
    # etcd: automatic-tinc's tests and demo start their own etcd 3.4
    etcd-server etcd-client
)

is_installed() {
    local status
    status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
    [[ $status == "install ok installed" ]]
}

missing=()
for package in "${packages[@]}"; do
    if ! is_installed "$package"; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $EUID != 0 ]]; then
        echo "install-deps: missing packages: ${missing[*]}" >&2
        echo "install-deps: run this script as root to install them" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all ${#packages[@]} packages are installed"
fi

# The toolchain is not a Debian package: it is expected in PATH or at /opt/swift.
if ! command -v swift >/dev/null && [[ ! -x /opt/swift/usr/bin/swift ]]; then
    echo "install-deps: Swift toolchain not found in PATH or at /opt/swift/usr/bin" >&2
    exit 1
fi
