FROM alpine:3.19
RUN <<-"EOT" sh
	FROM fake:1
	echo hi
	EOT
COPY <<A /a <<'B' /b
FROM fake:2
A
FROM fake:3
B
FROM ubuntu:22.04
