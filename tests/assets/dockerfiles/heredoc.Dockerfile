FROM alpine:3.19
RUN <<EOF
FROM not-an-image:1
apk add curl
EOF
FROM debian:bookworm
