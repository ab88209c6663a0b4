FROM ${IMG:-debian:bookworm}
