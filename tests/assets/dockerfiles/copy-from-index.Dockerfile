FROM alpine:3.19.1
FROM debian:bookworm
COPY --from=0 /etc/alpine-release /
