FROM --platform=linux/amd64 node:20.11.1-bookworm AS web
