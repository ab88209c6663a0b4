FROM rust:1.77-bookworm AS deps
FROM debian:bookworm-slim
RUN --mount=type=bind,from=deps,source=/usr/local/cargo,target=/cargo ls /cargo
