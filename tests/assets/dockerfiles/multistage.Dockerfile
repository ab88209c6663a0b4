FROM golang:1.22.1-bookworm AS build
RUN go build -o /app .
FROM build AS test
RUN go test ./...
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /app /app
