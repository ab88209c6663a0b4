FROM python:3.12-slim-bookworm
RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=ghcr.io/org/tools:1.2,source=/bin,target=/tools make
