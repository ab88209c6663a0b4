   FROM   python:3.12-slim-bookworm   AS   x
	FROM	node:20-alpine3.19
