# Build: the release binary from the locked dependency set.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
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
ENTRYPOINT ["/usr/local/bin/rihla"]
CMD ["serve"]
