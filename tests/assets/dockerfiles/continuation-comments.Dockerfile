FROM debian:bookworm AS a
RUN apt-get update && \
# a comment inside

    apt-get install -y curl
COPY \
  # comment
  --from=ghcr.io/org/x:1 /x /x
