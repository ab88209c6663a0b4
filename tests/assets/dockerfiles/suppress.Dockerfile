# driftwatch: ignore=DW003
FROM python:3.12.3-slim-bookworm
# driftwatch: ignore=DW002,DW003
FROM python:3.12
