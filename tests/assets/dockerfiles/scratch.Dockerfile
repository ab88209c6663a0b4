FROM golang:1.22-alpine3.19 AS b
FROM scratch
COPY --from=b /x /x
