# syntax=docker/dockerfile:1
# One image with every binary of the system: the router, the four services
# (each also as `shop service <name>`) and the all-in-one `shop`. compose.yaml
# and deploy/k8s run their containers from it; tests/deploy.rs checks that
# every binary they invoke is built and copied here, and that it runs as a
# user other than root.

# Build: the toolchain rust-toolchain.toml pins (rustup installs it if the
# image's differs), every binary in release mode against Cargo.lock.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        --bin shop --bin router --bin products --bin inventory --bin orders --bin payments \
 && mkdir -p /out \
 && cp target/release/shop target/release/router target/release/products \
       target/release/inventory target/release/orders target/release/payments /out/

# Run: a slim Debian with CA certificates (JWKS over https, TLS to
# PostgreSQL) and an unprivileged user.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 shop \
 && useradd --system --uid 10001 --gid shop --home-dir /var/lib/shop --shell /usr/sbin/nologin shop \
 && mkdir -p /var/lib/shop/keys \
 && chown -R shop:shop /var/lib/shop
COPY --from=build /out/shop /out/router /out/products /out/inventory /out/orders /out/payments /usr/local/bin/
# The composed supergraph the router serves (each subgraph's URL is replaced
# by DNS discovery in the router's config).
COPY schema/supergraph.graphql /usr/share/shop/supergraph.graphql
WORKDIR /var/lib/shop
USER 10001:10001
EXPOSE 4000 4001 4002 4003 4004 4100
CMD ["shop"]
