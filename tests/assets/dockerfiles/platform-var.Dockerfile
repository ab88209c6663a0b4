FROM --platform=$BUILDPLATFORM golang:1.22-bookworm AS build
FROM --platform=$TARGETPLATFORM debian:bookworm-slim
