"""What `scan` prints: its findings (as `check` reports them), text, and the JSON envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftwatch import __version__
from driftwatch.cli._fleet import reported_one_by_one, skip_lines

if TYPE_CHECKING:
    from driftwatch.models import Drift, Observation
    from driftwatch.report import Finding, Rule
    from driftwatch.usecases.scan import ScanResult


def scan_findings(result: ScanResult, fail_on: str) -> list[Finding]:
    """Findings at every file using a drifted or unchecked image, as `check` reports them."""
    from driftwatch.usecases.check import drift_findings, failure_findings, undetermined_findings

    findings = drift_findings(
        result.drifts, result.uses, result.pins, fail_on, result.gone, result.aliases
    )
    findings += undetermined_findings(result.undetermined(), result.uses, allowed=False)
    findings += failure_findings(result.failures, result.uses, allowed=False)
    return findings


def scan_rules() -> tuple[Rule, ...]:
    """The rules scan findings break: check's (imported late: keeps `--help` light)."""
    from driftwatch.usecases.check import CHECK_RULES

    return CHECK_RULES


def render_scan(result: ScanResult, findings: list[Finding], fmt: str) -> str:
    """The scan in `fmt`: text lists every image; json is the findings envelope plus the run."""
    if fmt == "text":
        return _text(result)
    from driftwatch.report import render

    if fmt != "json":
        return render(findings, fmt, rules=scan_rules(), version=__version__)
    from driftwatch.report.jsonfmt import dumps, findings_document

    document = findings_document(sorted(findings), version=__version__, command="scan")
    document["run"] = _run_json(result)
    document["images"] = [_json_row(result, obs) for obs in result.observations] + [
        {"reference": f.reference.familiar, "canonical": str(f.reference), "error": f.reason}
        for f in result.failures
    ]
    return dumps(document)


def _run_json(result: ScanResult) -> dict[str, Any]:
    """The run's id and counts, as the text summary line gives them."""
    return {
        "id": result.run_id,
        "checked": len(result.observations),
        "changes": len(result.all_drifts()),
        "could_not_check": len(result.failures) + len(result.undetermined()),
    }


def _text(result: ScanResult) -> str:
    from driftwatch.usecases.explain import short_digest

    lines = []
    for obs in result.observations:
        if obs.missing:
            lines.append(f"{obs.reference.familiar}  (tag not found)")
        for image in obs.platforms:
            platform = str(image.platform) if image.platform else "-"
            os_text = image.os.describe() if image.os else "-"
            lines.append(
                f"{obs.reference.familiar}  {platform}  {short_digest(image.digest)}  {os_text}"
            )
    lines += [
        f"{f.reference.familiar}: error: {f.reason}"
        for f in result.failures
        if reported_one_by_one(f)
    ]
    lines += skip_lines(result.failures)
    lines += [f"drift: {_describe(result, drift)}" for drift in result.all_drifts()]
    unsure = result.undetermined()
    lines += [
        f"{drift.reference.familiar}: error: could not check {drift.platform}: "
        f"its OS release is unknown ({drift.undetermined.reason if drift.undetermined else ''})"
        for drift in unsure
    ]
    drifts = len(result.all_drifts())
    lines.append(
        f"run {result.run_id}: {len(result.observations)} checked, {drifts} change(s), "
        f"{len(result.failures) + len(unsure)} could not be checked"
    )
    return "\n".join(lines) + "\n"


def _describe(result: ScanResult, drift: Drift) -> str:
    from driftwatch.usecases.explain import describe_drift

    pin = result.pins.get(drift.reference)
    gone = drift.reference in result.gone
    aliases = result.aliases.get(drift.reference)
    return describe_drift(drift, pin=pin, pin_gone=gone, aliases=aliases)


def _json_row(result: ScanResult, obs: Observation) -> dict[str, Any]:
    from driftwatch.cli._history_output import os_json

    return {
        "reference": obs.reference.familiar,
        "canonical": str(obs.reference),
        "digest": obs.digest,
        "media_type": obs.media_type,
        "platforms": [
            {
                "platform": str(image.platform) if image.platform else None,
                "digest": image.digest,
                "os": os_json(image.os),
            }
            for image in obs.platforms
        ],
        "drifts": [
            {
                "kind": drift.kind.value,
                "platform": drift.platform,
                "severity": drift.severity.name.lower(),
                "message": _describe(result, drift),
                **({"undetermined": drift.undetermined.reason} if drift.undetermined else {}),
            }
            for drift in result.drifts.get(obs.reference, ())
        ],
        "uses": [
            {"file": use.file, "line": use.line} for use in result.uses.get(obs.reference, ())
        ],
    }
