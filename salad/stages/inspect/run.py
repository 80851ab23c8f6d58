"""Run function of the ``inspect`` stage (imports torch-using components lazily)."""

from __future__ import annotations

from ...core.protocols import PROTOCOLS
from ...data.files import atomic_write_json
from ...runner import RunContext


def _parameter_count(obj) -> int | None:
    module = getattr(obj, "module", obj)
    params = getattr(module, "parameters", None)
    if not callable(params):
        return None
    try:
        return sum(p.numel() for p in params())
    except TypeError:
        return None


def run(ctx: RunContext, config) -> None:
    rows = []
    problems = []
    for comps in ctx.validated.components.values():
        for comp in comps:
            built = comp.build()
            row = {"slot": comp.slot, "name": comp.record.name, "kind": comp.kind,
                   "protocol": isinstance(built, PROTOCOLS[comp.kind]),
                   "parameters": _parameter_count(built), "ports": {}}
            for port, declared in comp.ports.items():
                actual = getattr(built, port, None)
                row["ports"][port] = {"declared": declared, "built": actual}
                if actual is not None and declared is not None and actual != declared:
                    problems.append(f"{comp.loc}: {comp.record.name} declares {port}={declared!r}"
                                    f" but built {actual!r}")
            if not row["protocol"]:
                problems.append(f"{comp.loc}: {comp.record.name} does not satisfy "
                                f"{PROTOCOLS[comp.kind].__name__}")
            rows.append(row)
    atomic_write_json(ctx.stage_dir() / "components.json", rows)
    ctx.note("| slot | component | parameters | protocol |")
    ctx.note("| --- | --- | --- | --- |")
    for r in rows:
        params = f"{r['parameters']:,}" if r["parameters"] is not None else "-"
        ctx.note(f"| {r['slot']} | `{r['name']}` | {params} | {'ok' if r['protocol'] else 'NO'} |")
    ctx.log_metrics(components=len(rows), problems=len(problems))
    if problems:
        from ...core.errors import SaladError

        raise SaladError("components disagree with their records:\n  " + "\n  ".join(problems))
