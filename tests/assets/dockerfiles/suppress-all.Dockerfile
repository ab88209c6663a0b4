# why: tooling image we rebuild nightly
# driftwatch: ignore
FROM ghcr.io/org/tool
