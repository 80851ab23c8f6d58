"""``python -m salad.synthesis CONFIG`` runs the synthesis job from a YAML/JSON config file."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import yaml

from ..core.errors import SaladError
from .config import SynthesisConfig
from .job import run_synthesis


def load_config(path: str | Path, **overrides) -> SynthesisConfig:
    path = Path(path)
    if not path.is_file():
        raise SaladError(f"synthesis config {path} not found")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SaladError(f"{path}: expected a mapping of synthesis settings")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return SynthesisConfig.model_validate(data)
    except ValueError as exc:
        raise SaladError(f"{path}: invalid synthesis config:\n{exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m salad.synthesis", description=__doc__)
    parser.add_argument("config", help="YAML or JSON file with SynthesisConfig fields")
    parser.add_argument("--workers", type=int, help="override the number of worker processes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        summary = run_synthesis(load_config(args.config, workers=args.workers))
    except SaladError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.format())
    return 0


if __name__ == "__main__":
    sys.exit(main())
