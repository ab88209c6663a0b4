# syntax=docker/dockerfile:1.7
# check=skip=JSONArgsRecommended
FROM python:3.12-slim-bookworm
