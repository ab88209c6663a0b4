ARG BASE=python:3.11-slim
FROM ${BASE}
