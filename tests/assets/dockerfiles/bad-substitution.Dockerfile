ARG A=3.19
FROM alpine:${A:?required}
FROM alpine:${MISSING:?set_MISSING}
FROM alpine:${A:?A must be set}
