"""The history report: a timeline of every watched reference, as HTML or a Markdown overview.

`build.build_report` turns history records into the frozen model of `model`; `html.render_html`
and `markdown.render_markdown` draw it. Only the CLI reads the store or writes files.
"""
