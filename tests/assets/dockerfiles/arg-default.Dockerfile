ARG PY=3.12
FROM python:${PY}-slim-bookworm
