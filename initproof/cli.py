"""The `initproof` command line: derive | verify | propagate | crosscheck | translate | audit |
compare | phase | report."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import NoReturn

from initproof import UsageError, __version__, inputs
from initproof.runs import (
    PHASE_BIASES,
    prove,
    resolve_schemes,
    run_audit,
    run_compare,
    run_crosscheck,
    run_phase,
    run_propagate,
    run_translate,
    run_verify,
    scheme_table,
    write_derivation_docs,
)


def _json(data: object) -> str:
    """JSON with every NaN or infinity written as null, as the standard requires."""
    def clean(x: object) -> object:
        if isinstance(x, float):
            return x if math.isfinite(x) else None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(json.loads(json.dumps(data, default=str))), indent=2,
                      allow_nan=False)


def cmd_derive(args: argparse.Namespace) -> int:
    names = resolve_schemes(args.schemes)
    if args.out is not None:
        inputs.writable_folder(args.out)
    print("Derivations (each step re-proved by sympy):")
    derivations = prove(sys.stdout)
    if args.out is not None:
        written = write_derivation_docs(args.out, derivations)
        print(f"wrote {len(written)} files to {args.out}")
    from derive import SCHEMES

    print()
    print(scheme_table(names or [n for n, s in SCHEMES.items() if s.name == n], args.latex))
    return 0


def _parse_shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(d) for d in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape must look like 256,128 or 64x3x3x3, got {text!r}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    from derive import SCHEMES

    names = resolve_schemes(args.schemes) or [n for n, s in SCHEMES.items() if s.name == n]
    inputs.fits_in_memory(5 * 8 * math.prod(args.shape), f"shape {args.shape}")
    reports = run_verify(names, args.shape, args.convention, args.seed, args.samples, args.alpha)
    if args.json:
        print(_json([r.to_dict() for r in reports]))
    else:
        print("\n\n".join(str(r) for r in reports))
        print(f"\n{sum(r.passed for r in reports)} passed, "
              f"{sum(not r.passed for r in reports)} failed")
    return 0 if all(r.passed for r in reports) else 1


def _widths(text: str) -> int | list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"width must be an integer or depth + 1 integers like 64,128,128, got {text!r}"
        ) from None
    return values[0] if len(values) == 1 else values


def cmd_propagate(args: argparse.Namespace) -> int:
    from verify.propagation import layer_widths

    try:
        widths = layer_widths(args.width, args.depth)
    except ValueError as e:
        raise UsageError(str(e)) from e
    stored = sum(a * b for a, b in pairwise(widths)) + args.batch * sum(widths[1:])
    working = 4 * max(args.batch, *widths) * max(widths)
    inputs.fits_in_memory(8 * (stored + working), f"a net of widths {max(widths)} and batch "
                                                   f"{args.batch}")
    if args.plot is not None:
        inputs.writable_file(args.plot)
    c = run_propagate(args.init, args.activation, args.depth, args.width, args.batch, args.seed,
                      args.bias, args.slope, not args.no_backward, args.alpha)
    if args.json:
        print(_json({"init": args.init, "agree": c.agree, "verdict": c.verdict,
                     "alpha": args.alpha,
                     "measured": c.measured.to_dict(), "predicted": c.predicted.to_dict(),
                     "ok": {k: [bool(x) for x in v] for k, v in c.ok.items()},
                     "blind": [bool(x) for x in c.blind]}))
    else:
        print(f"{args.init} + {args.activation}: depth {args.depth}, widths "
              f"{','.join(map(str, c.measured.widths))}, batch {args.batch}, seed {args.seed}")
        print(f"tolerances at family-wise alpha = {args.alpha:g}: mean absolute; std and grad "
              "var as +-log, from the spread of the estimate (see verify.theory)")
        print(c)
    if args.plot is not None:
        from initproof.figures import plot_profiles

        try:
            plot_profiles([(f"{args.init} + {args.activation}", c.measured, c.predicted)],
                          args.plot)
        except ImportError as e:
            raise UsageError(str(e)) from e
        except OSError as e:
            raise UsageError(f"cannot write {args.plot}: {e.strerror or e}") from e
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0 if c.agree else 1


def cmd_crosscheck(args: argparse.Namespace) -> int:
    from initproof.documents import crosscheck_document, crosscheck_markdown
    from initproof.files import write_text

    if args.out is not None:
        inputs.writable_file(args.out)
    rows = run_crosscheck(args.frameworks, args.seed, args.alpha)
    if args.json:
        print(_json([r.to_dict() for r in rows]))
    elif args.markdown:
        print(crosscheck_markdown(rows))
    else:
        for r in rows:
            print(f"{'ok  ' if r.passed else 'DIFF'} {r.framework:6s} {r.initializer:58s} "
                  f"{'x'.join(map(str, r.shape)):12s} {r.dtype:9s} {r.claim}")
        print("\n" + crosscheck_markdown(rows).split("### Findings\n", 1)[1])
    if args.out is not None:
        try:
            write_text(args.out, crosscheck_document(rows, args.alpha))
        except OSError as e:
            raise UsageError(f"cannot write {args.out}: {e.strerror or e}") from e
        print(f"wrote {args.out}", file=sys.stderr)
    mismatches = sum(not r.passed for r in rows)
    print(f"{len(rows) - mismatches} match, {mismatches} mismatch", file=sys.stderr)
    return 1 if args.strict and mismatches else 0


def cmd_translate(args: argparse.Namespace) -> int:
    rows = run_translate(args.framework, args.name, args.to)
    if args.json:
        print(_json([t.to_dict() for t in rows]))
        return 0
    for role in dict.fromkeys(t.role for t in rows):
        part = [t for t in rows if t.role == role]
        print(f"{args.framework} {args.name} ({role}) draws {part[0].claim}")
        for t in part:
            mark = "=" if t.exact else "~" if t.call else "x"
            print(f"  {mark} {t.target:9s} {t.call or '(none)'}")
            if t.note:
                print(f"    {t.note}")
    print("= the same law; ~ the nearest; x no equivalent", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    report = run_audit(args.factory, args.rules, args.alpha, args.input_shape, args.seed,
                       args.framework)
    print(_json(report.to_dict()) if args.json else report)  # type: ignore[attr-defined]
    return 1 if args.strict and not report.passed else 0  # type: ignore[attr-defined]


def cmd_compare(args: argparse.Namespace) -> int:
    report = run_compare(args.a, args.b, args.map, args.alpha)
    print(_json(report.to_dict()) if args.json else report)  # type: ignore[attr-defined]
    return 1 if args.strict and not report.passed else 0  # type: ignore[attr-defined]


def _bias_variances(text: str) -> tuple[float, ...]:
    """A comma-separated list of sigma_b^2 values: finite and >= 0."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected numbers like 0,0.05,0.1, got {text!r}") from None
        if not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(
                f"a bias variance sigma_b^2 is finite and >= 0, got {part}")
        values.append(value)
    return tuple(values)


def _scale(x: float) -> str:
    return "inf" if x == math.inf else f"{x:.3g}"


def _phase_table(activation: str, rows: list) -> str:
    """The critical line and the depth scales either side, as aligned columns and notes."""
    factors = [p.factor for p in next((r.points for r in rows if r.points), ())]
    header = ["sigma_b^2", "critical sigma_w^2", "q* there",
              *(f"{f:g}x: xi_q / xi_c" for f in factors)]
    table, notes = [header], []
    for r in rows:
        notes += [f"  sigma_b^2 = {r.bias_variance:g}: {n}" for n in r.notes]
        critical = "none" if r.critical_weight_variance is None else (
            f"{r.critical_weight_variance:.4g}")
        there = {"any": "any", "none": "-"}.get(r.lengths) or _scale(r.q_star)
        table.append([f"{r.bias_variance:g}", critical, there,
                      *(f"{_scale(p.xi_q)} / {_scale(p.xi_c)}" for p in r.points)])
    widths = [max(len(row[i]) for row in table if i < len(row)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
             for row in table]
    head = [f"{activation}: the critical line chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] = 1",
            "  (sigma_w^2 = fan_in Var(W), sigma_b^2 = Var(b), q* the fixed point of the "
            "lengths)",
            "depth scales at sigma_w^2 = factor x critical: |q_l - q*| and |c_l - c*| fall as "
            "exp(-l/xi);",
            "  inf: no exponential approach; a net trains to a depth of about 6 xi_c", ""]
    tail = ["", "notes:", *notes] if notes else []
    return "\n".join(head + lines + tail)


def cmd_phase(args: argparse.Namespace) -> int:
    if args.plot is not None:
        inputs.writable_file(args.plot)
    rows = run_phase(args.activation, args.bias_variance)
    if args.json:
        print(_json({"activation": args.activation, "rows": [r.to_dict() for r in rows]}))
    else:
        print(_phase_table(args.activation, rows))
    if args.plot is not None:
        import numpy as np

        from initproof.theory.criticality import phase_figure

        biases = np.linspace(max(min(args.bias_variance), 0.005),
                             max(max(args.bias_variance), 0.01), 13)
        found = [r.critical_weight_variance for r in rows
                 if r.critical_weight_variance is not None]
        low, high = (0.5 * min(found), 1.6 * max(found)) if found else (0.5, 4.0)
        try:
            phase_figure(args.activation, args.plot, weights=np.linspace(low, high, 28),
                         biases=biases)
        except ImportError as e:
            raise UsageError(str(e)) from e
        except OSError as e:
            raise UsageError(f"cannot write {args.plot}: {e.strerror or e}") from e
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from initproof.report import report

    inputs.writable_folder(args.out)

    return report(args.out)


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line: 'initproof COMMAND: what is wrong'."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="initproof", description="Prove and check neural-network weight initializers.")
    parser.add_argument("--version", action="version", version=f"initproof {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("derive", help="re-prove the derivations; show schemes; write docs")
    p.add_argument("schemes", nargs="*", metavar="SCHEME", help="schemes to show (default: all)")
    p.add_argument("--out", type=Path, help="write LaTeX and Markdown documents to this folder")
    p.add_argument("--latex", action="store_true", help="show formulas as LaTeX")
    p.set_defaults(func=cmd_derive)

    p = sub.add_parser("verify", help="check the built-in samplers against derive")
    p.add_argument("schemes", nargs="*", metavar="SCHEME", help="schemes (default: all)")
    p.add_argument("--shape", type=_parse_shape, default=(256, 128),
                   help="weight shape, e.g. 256,128 (default: %(default)s)")
    p.add_argument("--convention", choices=("torch", "keras", "jax"), default="torch")
    p.add_argument("--seed", type=inputs.seed, default=0)
    p.add_argument("--samples", type=inputs.positive_int, default=None,
                   help="values to draw (default: enough to see a 2%% scale error)")
    p.add_argument("--alpha", type=inputs.alpha, default=1e-6, help="family-wise error rate")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("propagate", help="Monte Carlo through a deep MLP against the theory")
    p.add_argument("--init", default="he_normal", help="scheme (default: %(default)s)")
    p.add_argument("--activation", default="relu",
                   help="linear, tanh, relu, ... (an unknown name lists them; "
                        "default: %(default)s)")
    p.add_argument("--depth", type=inputs.positive_int, default=10)
    p.add_argument("--width", type=_widths, default=256,
                   help="one width, or depth + 1 widths input first (default: %(default)s)")
    p.add_argument("--batch", type=inputs.positive_int, default=512)
    p.add_argument("--seed", type=inputs.seed, default=0)
    p.add_argument("--bias", type=inputs.standard_deviation, default=0.0,
                   help="bias std (default: no bias)")
    p.add_argument("--slope", type=inputs.finite, default=0.01, help="leaky_relu slope")
    p.add_argument("--no-backward", action="store_true", help="skip the gradients")
    p.add_argument("--alpha", type=inputs.alpha, default=1e-6, help="family-wise error rate")
    p.add_argument("--plot", type=inputs.figure,
                   help="write curves and histograms to this image (.png, .pdf, .svg, ...)")
    p.add_argument("--json", action="store_true", help="print the profiles as JSON")
    p.set_defaults(func=cmd_propagate)

    p = sub.add_parser("crosscheck", help="framework initializers against derive's formulas")
    p.add_argument("frameworks", nargs="+", metavar="FRAMEWORK",
                   help="torch, jax, keras or all (every installed one)")
    p.add_argument("--seed", type=inputs.seed, default=0)
    p.add_argument("--alpha", type=inputs.alpha, default=1e-6,
                   help="family-wise error rate per check")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.add_argument("--out", type=Path, help="write the full Markdown document to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 when anything mismatches")
    p.set_defaults(func=cmd_crosscheck)

    p = sub.add_parser("translate", help="an initializer as the same call in other frameworks")
    p.add_argument("framework", metavar="FRAMEWORK", help="where the call comes from")
    p.add_argument("name", metavar="NAME",
                   help='the initializer or layer as crosscheck names it (e.g. "nn.Linear")')
    p.add_argument("--to", nargs="+", metavar="FRAMEWORK",
                   help="the frameworks to write it in (default: every other installed one)")
    p.add_argument("--json", action="store_true", help="print the translations as JSON")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("audit", help="every parameter of a model against its rule or default")
    p.add_argument("factory", metavar="MODULE:FACTORY",
                   help="an importable callable that builds the model (it seeds itself)")
    p.add_argument("--rules", type=Path,
                   help='TOML: [rules] "glob" = "scheme", [constants] name = number')
    p.add_argument("--input-shape", type=inputs.batch_shape, default=None,
                   help="also send a unit-Gaussian batch of this shape (e.g. 64,256) through "
                        "the model and compare each dense layer's signal with its claims")
    p.add_argument("--seed", type=inputs.seed, default=0, help="seed of that batch")
    p.add_argument("--framework", choices=("torch", "keras", "flax", "linen", "equinox",
                                           "haiku"),
                   help="which framework built it (default: read from the model's class; "
                        "a Haiku params dict needs haiku, Flax linen variables linen)")
    p.add_argument("--alpha", type=inputs.alpha, default=1e-6,
                   help="family-wise error rate of the whole audit")
    p.add_argument("--json", action="store_true", help="print the rows and findings as JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 when anything fails")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("compare", help="two builds of one architecture, parameter by parameter")
    p.add_argument("a", metavar="A", help="MODULE:FACTORY of the first model")
    p.add_argument("b", metavar="B", help="MODULE:FACTORY of the second (a port, say)")
    p.add_argument("--map", type=Path,
                   help='TOML: [map] "path in A" = "path in B" (default: pair in order by '
                        "role and size)")
    p.add_argument("--alpha", type=inputs.alpha, default=1e-6,
                   help="family-wise error rate of the whole comparison")
    p.add_argument("--json", action="store_true", help="print the pairs as JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 when anything differs")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("phase", help="the edge of chaos: critical line and depth scales")
    p.add_argument("activation", metavar="ACTIVATION",
                   help="linear, tanh, relu, ... (an unknown name lists them)")
    p.add_argument("--bias-variance", type=_bias_variances, default=PHASE_BIASES,
                   metavar="LIST", help="sigma_b^2 values, comma-separated (default: "
                   f"{','.join(f'{b:g}' for b in PHASE_BIASES)})")
    p.add_argument("--plot", type=inputs.figure, metavar="FILE",
                   help="write the phase diagram (xi_c over sigma_w^2, sigma_b^2; theory only)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=cmd_phase)

    p = sub.add_parser("report", help="the main job: everything, on built-in defaults")
    p.add_argument("--out", type=Path, default=Path("initproof-report"),
                   help="folder for the report's files (default: %(default)s)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"initproof: {e}", file=sys.stderr)
        return 2
    except AssertionError as e:
        print(f"initproof: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninitproof: interrupted; files are written whole or not at all",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
