ARG REG=registry.example.com:5000
ARG NAME=${REG}/base/python
ARG TAG="3.12-bookworm"
FROM ${NAME}:${TAG} AS base
