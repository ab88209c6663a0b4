"""Why a written reference is not a reference: the parse error, or the template it comes from.

Real repositories keep Dockerfile and compose templates under ordinary names
(`eng/dockerfile-templates/runtime/Dockerfile.linux` with `FROM {{runtimeDepsBaseTag}}`, a docs
compose file with `apache/airflow:|version|`). Such a value is reported unresolved, as any invalid
reference, but the problem names the placeholder and the advice says what to do, instead of a
grammar error about upper-case letters.
"""

from __future__ import annotations

import re

from driftwatch.errors import InvalidReference

__all__ = ["devcontainer_variable", "invalid_reference", "placeholder"]

MAX_SHOWN = 300

# Jinja/Mustache/Go/Cottle `{{ }}` and `{% %}`, ERB `<% %>`, docker-library `%%VAR%%`,
# autoconf `@VAR@`, Sphinx `|version|`, Dev Container templates' `${templateOption:x}`: none can
# appear in a valid reference.
_PLACEHOLDER = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|<%.*?%>|%%[A-Za-z0-9_]+%%|@[A-Z][A-Z0-9_]*@|\|[A-Za-z0-9_.-]+\|"
    r"|\$\{templateOption:[^}]*\}"
)

# Dev Container variables (`${localEnv:HOME}`, `${localWorkspaceFolder}`, `${devcontainerId}`...):
# substituted by the Dev Container CLI where the container is built, so unknown here.
_DEVCONTAINER = re.compile(
    r"\$\{(?:localEnv|containerEnv|env):[^}]*\}"
    r"|\$\{(?:local|container)WorkspaceFolder(?:Basename)?\}|\$\{devcontainerId\}"
)


def devcontainer_variable(text: str) -> str | None:
    """The first Dev Container variable (`${localEnv:X}`...) in `text`, or None."""
    found = _DEVCONTAINER.search(text)
    return found.group() if found else None


def placeholder(text: str) -> str | None:
    """The first template placeholder in `text`, or None."""
    found = _PLACEHOLDER.search(text)
    return found.group() if found else None


def invalid_reference(text: str, error: InvalidReference) -> tuple[str, str]:
    """The problem and the advice for a value that `parse_reference` refused."""
    shown = text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."
    variable = devcontainer_variable(text)
    if variable is not None:
        return (
            f"Dev Container variable {variable} in `{shown}` is only known where the container "
            "is built",
            "Give the build arg a literal value in devcontainer.json so it can be checked.",
        )
    marker = placeholder(text)
    if marker is None:
        reason = str(error)
        reason = reason if len(reason) <= MAX_SHOWN else reason[: MAX_SHOWN - 3] + "..."
        return reason, f"Fix the reference `{shown}`."
    return (
        f"template placeholder {marker} in `{shown}`: this file is a template, not what is built",
        "Scan the files the template renders, or leave the templates out "
        '(`exclude = ["path/to/templates/**"]` in driftwatch.toml).',
    )
