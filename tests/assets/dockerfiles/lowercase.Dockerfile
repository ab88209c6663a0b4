from python:3.12-slim-bookworm as base
from base
copy --FROM=alpine:3.19 /a /a
