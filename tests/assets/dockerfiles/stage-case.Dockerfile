FROM alpine:3.19 AS Builder
FROM builder
FROM BUILDER AS again
