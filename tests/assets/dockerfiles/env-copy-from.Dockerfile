FROM alpine:3.19
ENV HELPER=ghcr.io/org/helper:3
COPY --from=$HELPER /h /h
