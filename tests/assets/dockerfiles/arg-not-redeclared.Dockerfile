ARG TOOLS=ghcr.io/org/tools:2
FROM alpine:3.19
COPY --from=${TOOLS} /t /t
