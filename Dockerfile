# syntax=docker/dockerfile:1
#
# automatic-tinc and tincd on Debian 12 (bookworm). The build stage is plain Debian 12, not a
# Swift image: it takes the Swift 6 toolchain from a named build context, a directory holding
# usr/bin/swift (the swift.org tarball for Debian 12, unpacked, or /opt/swift on the project's
# machines). Build with BuildKit, from the repository root:
#
#   docker buildx build --build-context swift-toolchain=/opt/swift -t automatic-tinc .
#
# Docs/DEPLOYMENT.md describes the flags the container needs at run time and why.
# Tests/automatic/test_dockerfile.sh checks this file without a Docker engine.

# A named build context of the same name replaces this empty stage. Without one the toolchain
# check in the build stage fails with a message instead of a pull error.
FROM scratch AS swift-toolchain

FROM debian:bookworm AS build

# The toolchain's own dependencies on Debian 12 (swift.org's tarball instructions), then the C
# libraries our targets link against.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        binutils-gold gcc git libcurl4-openssl-dev libedit-dev libicu-dev libncurses-dev \
        libpython3-dev libsqlite3-dev libxml2-dev pkg-config tzdata uuid-dev \
        libssl-dev zlib1g-dev liblzo2-dev \
    && rm -rf /var/lib/apt/lists/*

COPY --from=swift-toolchain . /opt/swift/
RUN if [ ! -x /opt/swift/usr/bin/swift ]; then \
        echo "no Swift toolchain: pass --build-context swift-toolchain=DIR, DIR holding usr/bin/swift" >&2; \
        exit 1; \
    fi
ENV PATH=/opt/swift/usr/bin:$PATH

# Package.swift declares the test targets too, and SwiftPM rejects a package whose target
# directories are missing, so Tests/ comes along.
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests

# The Swift runtime is linked statically, so the runtime stage needs no toolchain libraries.
RUN swift build -c release --static-swift-stdlib --product tincd \
    && swift build -c release --static-swift-stdlib --product automatic-tinc

FROM debian:bookworm-slim

# iproute2 for tinc-up and tinc-down; the shared libraries the two binaries link against;
# ca-certificates for etcd over https.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        iproute2 libssl3 zlib1g liblzo2-2 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /src/.build/release/automatic-tinc /src/.build/release/tincd /usr/local/bin/

# The program's own defaults, stated here so that `docker inspect` shows them.
ENV TINC_NETWORK_NAME=automatic-tinc \
    TINC_NETWORK_SUBNET=172.16.0.0/13 \
    ETCD_ENDPOINTS=http://127.0.0.1:4001

EXPOSE 655/tcp 655/udp
VOLUME /etc/tinc
ENTRYPOINT ["/usr/local/bin/automatic-tinc"]
