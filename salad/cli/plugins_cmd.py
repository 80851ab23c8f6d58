"""``salad plugins list | describe | check``."""

from __future__ import annotations

import argparse
import json
import sys


def add_commands(sub: argparse._SubParsersAction) -> None:
    plugins = sub.add_parser("plugins", help="list, describe and check installed plugins")
    psub = plugins.add_subparsers(dest="plugins_command", metavar="ACTION")

    p = psub.add_parser("list", help="list registered components")
    p.add_argument("--kind", help="only this kind (e.g. tts_engine)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_list)

    p = psub.add_parser("describe", help="show a component's config fields, defaults and docs")
    p.add_argument("name", help="registry name, e.g. salad.fbank_encoder.v1")
    p.set_defaults(handler=cmd_describe)

    p = psub.add_parser("check", help="exit non-zero if any installed plugin fails to load")
    p.set_defaults(handler=cmd_check)
    plugins.set_defaults(handler=lambda args: plugins.print_help() or 2)


def cmd_list(args) -> int:
    from ..core.kinds import KINDS, kind_info
    from ..core.plugin_host import get_host

    host = get_host()
    kinds = [kind_info(args.kind).key] if args.kind else list(KINDS)
    rows = [r for k in kinds for r in host.registry(k).records()]
    if args.json:
        print(json.dumps([{"name": r.name, "kind": r.kind, "version": r.version,
                           "distribution": r.distribution, "summary": r.summary}
                          for r in rows], indent=2))
    else:
        width = max((len(r.name) for r in rows), default=10)
        for k in kinds:
            recs = host.registry(k).records()
            print(f"{KINDS[k].title} ({k}):")
            for r in recs:
                print(f"  {r.name:<{width}}  {r.version:<8} {r.distribution:<22} {r.summary}")
            if not recs:
                print("  (none installed)")
    for f in host.failures:
        print(f"warning: plugin {f.plugin!r} failed to load: {f.error} "
              "(see `salad plugins check`)", file=sys.stderr)
    return 0


def cmd_describe(args) -> int:
    from ..core.errors import UnknownComponentError
    from ..core.plugin_host import get_host
    from ..core.suggest import did_you_mean
    from .fields import config_doc, field_lines

    host = get_host()
    records = host.find(args.name)
    if not records:
        names = sorted({r.name for r in host.all_records()})
        raise UnknownComponentError(
            f"no component named {args.name!r}{did_you_mean(args.name, names)}")
    for r in records:
        print(f"{r.name}  ({r.kind}, version {r.version})")
        print(f"  {r.summary}")
        print(f"  distribution: {r.distribution}   plugin: {r.entry_point}")
        if doc := config_doc(r.config):
            print(f"  {doc}")
        print("  config:")
        print("\n".join(field_lines(r.config)))
        try:
            ports = r.declared_ports(r.config())
        except Exception as exc:  # a required field without default
            ports = {"<needs config>": str(exc).splitlines()[0]}
        if ports:
            print("  ports (default config): " + ", ".join(f"{k}={v!r}" for k, v in ports.items()))
    return 0


def cmd_check(args) -> int:
    from ..core.plugin_host import PluginHost

    host = PluginHost()
    n = sum(len(reg) for reg in host.registries.values())
    print(f"{len(host.plugins)} plugins loaded, {n} components registered")
    status = 0
    for f in host.failures:
        print(f"FAILED: {f.format()}")
        status = 1
    for d in host.duplicates:
        print(f"DUPLICATE: {d}")
        status = 1
    if status == 0:
        print("all plugins OK")
    return status
