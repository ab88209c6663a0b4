ARG V=3.19
FROM alpine:${V}
COPY --from=nginx:1.25-alpine3.19 \
  /etc/nginx /etc/nginx
