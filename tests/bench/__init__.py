"""Test bench: a real registry (Debian's docker-registry), a token server, an image builder/pusher."""
