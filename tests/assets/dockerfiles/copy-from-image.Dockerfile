FROM debian:12-slim
COPY --from=nginx:1.25-bookworm /etc/nginx /etc/nginx
COPY --chown=1:1 --from=docker.io/library/busybox:1.36 /bin/busybox /bin/
