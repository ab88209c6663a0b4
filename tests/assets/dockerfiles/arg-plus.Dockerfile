ARG VARIANT=slim
FROM python:3.12${VARIANT:+-$VARIANT}-bookworm
