# Build: the release binary from the locked dependency set, stripped. The
# dependencies are a layer of their own (cargo-chef's recipe lists them from
# the manifests alone), so a code change rebuilds only the workspace.
FROM rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /src
ENV CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=symbols

FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin rihla
COPY . .
RUN cargo build --release --locked --bin rihla \
 && cp target/release/rihla /rihla

# Run: a slim image with only the binary, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /var/lib/rihla --create-home rihla
COPY --from=build /rihla /usr/local/bin/rihla
USER rihla
WORKDIR /var/lib/rihla
ENV APP_BIND=0.0.0.0:8080 \
    APP_DATA_DIR=/var/lib/rihla/data \
    APP_LOG_FORMAT=json
EXPOSE 8080
# `rihla healthcheck` asks the server's /ready (the image has no curl).
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/rihla", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/rihla"]
CMD ["serve"]
