FROM alpine:3.19
RUN <<EOF
FROM fake
