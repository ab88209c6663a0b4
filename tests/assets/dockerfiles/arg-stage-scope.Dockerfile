ARG TOOLS=ghcr.io/org/tools:2
FROM alpine:3.19
ARG TOOLS
ARG LINT=ghcr.io/org/lint:1.0
COPY --from=$TOOLS /t /t
COPY --from=${LINT} /l /l
