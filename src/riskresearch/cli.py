"""Command-line interface: ``riskresearch <command> ...``.

Library code never prints; this module does (results, progress bars, one-line errors). Each
command imports the library modules it runs inside its own function: ``riskresearch --help``
and a one-line error stay fast, without loading pandas, LightGBM or matplotlib first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from riskresearch.errors import RiskResearchError, from_validation_error

DEFAULT_DB = Path("data/leasing.duckdb")
DEFAULT_TABLE = Path("data/modeling_table.parquet")


class _Bar:
    """tqdm progress bar driven by the library's ``progress(step, done, total)`` callbacks.

    It appears at the first callback (so checks that fail before any work print only their
    error line) and can print lines above itself (``write``)."""

    def __init__(self, desc: str):
        self._desc = desc
        self._bar = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total, desc=self._desc, unit="step", leave=False, file=sys.stderr
            )
        self._bar.total = total
        self._bar.set_postfix_str(step)
        self._bar.n = done
        self._bar.refresh()

    def write(self, line: str) -> None:
        if self._bar is None:
            print(line)
        else:
            self._bar.write(line)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _data_build(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from riskresearch.atomic import writable_folder
    from riskresearch.features import build_modeling_table, warehouse_path
    from riskresearch.synth import SimulationConfig, build_warehouse

    try:
        cfg = SimulationConfig(n_applications=args.applications, seed=args.seed)
    except ValidationError as exc:
        raise from_validation_error(
            exc, "riskresearch data build", {"n_applications": "--applications", "seed": "--seed"}
        ) from None
    out, table = Path(args.out), Path(args.table)
    writable_folder(out, "warehouse")  # fail before minutes of work, not after
    writable_folder(table, "modeling table")
    if args.if_missing and out.is_file():
        warehouse_path(out, "riskresearch data build")  # a file of another kind: one line
        print(f"warehouse      {out} (exists; delete it or drop --if-missing to rebuild)")
    else:
        bar = _Bar("simulating platform")
        t0 = time.perf_counter()
        try:
            counts = build_warehouse(cfg, out, progress=bar, memory_limit=args.memory_limit)
        finally:
            bar.close()
        print(f"warehouse      {out}  ({time.perf_counter() - t0:.1f} s, seed {cfg.seed})")
        for name, rows in counts.items():
            print(f"  {name:<22}{rows:>12,} rows")
    t0 = time.perf_counter()
    summary = build_modeling_table(out, table, memory_limit=args.memory_limit)
    print(f"modeling table {table}  ({time.perf_counter() - t0:.1f} s)")
    print(f"  {'total':<34}{int(summary['applications'].sum()):>10,} rows")
    for row in summary.itertuples(index=False):
        print(f"  {row.segment:<12}{row.performance_status:<22}{row.applications:>10,}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from riskresearch.release import build_release

    bar = _Bar("building release")
    t0 = time.perf_counter()
    try:
        rel = build_release(
            args.config,
            version=args.version,
            root=args.out,
            progress=bar,
            log=bar.write,
            memory_limit=args.memory_limit,
        )
    finally:
        bar.close()
    print(f"release   {rel.path}")
    print(f"version   {rel.version}  ({time.perf_counter() - t0:.0f} s)")
    test_label = rel.metrics.get("split", {}).get("test", "test")
    for which in ("train", "test"):
        m = rel.metrics.get(which)
        if m:
            label = "development" if which == "train" else test_label
            print(
                f"{label:<12}AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Gini {m['gini']:.4f}  "
                f"({m['n']:,} rows, bad rate {m['bad_rate']:.2%})"
            )
    oracle = rel.metrics.get("oracle")
    if oracle:
        print(
            f"oracle      AUC {oracle['oracle_auc']:.4f}  (scorecard / oracle = "
            f"{oracle['ratio']:.3f})"
        )
    gbm = rel.metrics.get("gbm", {})
    if gbm.get("test"):
        m = gbm["test"]
        ratio = f"  (gbm / oracle = {gbm['oracle']['ratio']:.3f})" if gbm.get("oracle") else ""
        label = "gbm " + ("oot" if test_label == "out-of-time" else test_label)
        print(f"{label:<12}AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Gini {m['gini']:.4f}{ratio}")
    fraud = rel.metrics.get("fraud")
    if fraud:
        print(
            f"{'fraud oot':<12}recall at 2% review {fraud.get('recall_at_0.02', float('nan')):.3f}"
            f"  PR-AUC {fraud['pr_auc']:.3f}  ({fraud['method']}; vs {fraud['truth']})"
        )
    behavior = rel.metrics.get("behavior")
    if behavior:
        print(
            f"{'behaviour':<12}AUC {behavior['oot_auc']:.4f}  KS {behavior['oot_ks']:.4f}  "
            f"(out of time {behavior['oot_start']}..{behavior['oot_end']}, 30+ dpd in 3 months)"
        )
    for u in rel.usage:  # where the time and memory went (the manifest's "build" too)
        print(f"step      {u.step:<24}{u.seconds:>7.0f} s  peak {u.peak_rss_mib / 1024:5.2f} GiB")
    if args.memory_limit:
        print(f"memory    DuckDB capped at {args.memory_limit} in every notebook")
    print(f"sha256    {rel.sha256}  (manifest.json)")
    print(f"report    {rel.path / 'report.html'}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from riskresearch.project import init_project

    bar = _Bar("simulating platform")
    try:
        written = init_project(args.folder, example=args.example, progress=bar)
    finally:
        bar.close()
    folder = Path(args.folder)
    print(f"project   {folder}")
    for path in written:
        print(f"  {path.relative_to(folder).as_posix()}")
    print("next      put your table in data/, set data.table and data.target in model.yaml,")
    print(f"          then: riskresearch release {folder / 'model.yaml'} --version 1.0.0")
    if args.example:
        print(f"example   riskresearch release {folder / 'example.yaml'} --version 1.0.0")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from riskresearch.release import rebuild_and_compare, verify_release

    check = verify_release(args.release)
    print(check.describe())
    if not check.ok:
        return 1
    if args.rebuild:
        bar = _Bar("rebuilding")
        try:
            result = rebuild_and_compare(args.release, progress=bar)
        finally:
            bar.close()
        width = max((len(a.name) for a in result.artifacts), default=0) + 2
        labels = {"identical": "byte-identical", "differs": "DIFFERS"}
        for a in result.artifacts:
            status = labels.get(a.status, a.status)
            print(f"  {a.name:<{width}}{status}" + (f"  ({a.reason})" if a.reason else ""))
        same = sum(a.status == "identical" for a in result.artifacts)
        if result.identical:
            print(f"rebuild: all {same} model artifacts are byte-identical")
        elif result.ok:
            print(
                f"rebuild: {same} model artifacts byte-identical, "
                f"{len(result.artifacts) - same} equal within tolerance (numbers and the "
                "scores of a fixed sample within 1e-9)"
            )
        else:
            print("rebuild: model artifacts DIFFER")
        return 0 if result.ok else 1
    return 0


def _refuse_overwriting_input(args: argparse.Namespace) -> None:
    """OUTPUT must not be INPUT (nor, with --dask, a folder holding it); before any reading."""
    from riskresearch.atomic import refuse_overwriting_input

    inputs = None
    if getattr(args, "dask", False):
        from riskresearch.scale import parquet_files

        inputs = parquet_files(args.input)
    refuse_overwriting_input(args.input, args.output, inputs)


def _score(args: argparse.Namespace) -> int:
    from riskresearch.atomic import atomic_output, input_file
    from riskresearch.errors import ConfigError
    from riskresearch.manifest import ReleaseFolder
    from riskresearch.scale import scored
    from riskresearch.scoring import Scorer, read_applications
    from riskresearch.tables import suffix_kind

    _refuse_overwriting_input(args)
    release = ReleaseFolder.open(args.release, needs=("scorecard",), purpose="score")
    scorer = Scorer(release.path("scorecard.json"))
    manifest = release.manifest
    src, out = Path(args.input), Path(args.output)
    if getattr(args, "dask", False):
        return _score_dask(args, scorer, manifest)
    if getattr(args, "scheduler", None):
        raise ConfigError("--scheduler names a Dask scheduler: add --dask, or drop --scheduler.")
    input_file(
        src, "input file", "a CSV or Parquet file", " (--dask reads a folder of Parquet files)"
    )
    if suffix_kind(src) is None or suffix_kind(out) is None:
        raise ConfigError(
            f"Input and output must be .csv or .parquet files. Got '{src.name}' and '{out.name}'."
        )
    frame = read_applications(src, scorer.categorical, args.encoding)  # categories as text
    n_codes = manifest["config"]["scorecard"]["n_reason_codes"]
    id_col = manifest["config"]["data"].get("id_column")
    result = scored(frame, scorer, n_codes, id_col)  # the very function Dask maps on partitions
    with atomic_output(out, "scores") as tmp:
        if suffix_kind(out) == "csv":
            result.to_csv(tmp, index=False)
        else:
            result.to_parquet(tmp, index=False)
    print(f"scored {len(result):,} rows with {args.release} -> {out}")
    return 0


def _score_dask(args: argparse.Namespace, scorer, manifest: dict) -> int:
    from riskresearch.scale import check_parquet_io, client, score_parquet

    n_codes = manifest["config"]["scorecard"]["n_reason_codes"]
    id_col = manifest["config"]["data"].get("id_column")
    check_parquet_io(args.input, args.output, scorer.columns, "Scorer")  # before a cluster starts
    t0 = time.perf_counter()
    with client(args.scheduler) as c:
        n = score_parquet(scorer, args.input, args.output, n_codes, id_col, dask_client=c)
    print(
        f"scored {n:,} rows with {args.release} -> {args.output}/ (Dask, "
        f"{args.scheduler or 'local cluster'}, {time.perf_counter() - t0:.1f} s)"
    )
    return 0


def _decide(args: argparse.Namespace) -> int:
    from riskresearch.decision import (
        DecisionEngine,
        DecisionRouter,
        read_applications,
        write_decisions,
    )

    _refuse_overwriting_input(args)
    # refuses a tampered release; a pandas batch scores the fraud model on every core, Dask
    # workers on one thread each
    dask = getattr(args, "dask", False)
    threads = 1 if dask else 0
    releases = list(args.release)
    if len(releases) == 1:
        engine = DecisionEngine.from_release(releases[0], n_threads=threads)
    else:  # one release per segment, routed by their strategies' applies_to
        engine = DecisionRouter.from_releases(releases, n_threads=threads)
    named = ", ".join(releases)
    if dask:
        return _decide_dask(args, engine, named)
    if getattr(args, "scheduler", None):
        from riskresearch.errors import ConfigError

        raise ConfigError("--scheduler names a Dask scheduler: add --dask, or drop --scheduler.")
    frame = read_applications(args.input, engine.text_columns, args.encoding)
    t0 = time.perf_counter()
    decisions = engine.decide(frame)
    seconds = time.perf_counter() - t0
    write_decisions(decisions, args.output)
    counts = decisions["decision"].value_counts()
    summary = ", ".join(f"{k} {int(counts.get(k, 0)):,}" for k in ("approve", "refer", "decline"))
    print(f"decided {len(decisions):,} applications with {named} -> {args.output}")
    print(f"  {summary}  ({seconds:.2f} s)")
    if len(releases) > 1:  # in the order the releases were given; rows none covers last
        by = decisions["model"].fillna("(none)").value_counts()
        names = [*engine.names, "(none)"]
        parts = [f"{k} {int(by.get(k, 0)):,}" for k in names if k != "(none)" or k in by]
        print("  by release: " + ", ".join(parts))
    return 0


def _decide_dask(args: argparse.Namespace, engine, named: str) -> int:
    from riskresearch.scale import check_parquet_io, client, decide_parquet

    check_parquet_io(args.input, args.output, [], "DecisionEngine")  # before a cluster starts
    t0 = time.perf_counter()
    with client(args.scheduler) as c:
        n = decide_parquet(engine, args.input, args.output, dask_client=c)
    print(
        f"decided {n:,} applications with {named} -> {args.output}/ (Dask, "
        f"{args.scheduler or 'local cluster'}, {time.perf_counter() - t0:.1f} s)"
    )
    return 0


def _arrears_report(args: argparse.Namespace) -> int:
    from riskresearch.arrears import analyse, portfolio_report, write_arrears

    language = _language(args)
    t0 = time.perf_counter()
    an = analyse(
        args.db,
        args.as_of,
        cure_period_days=args.cure_period_days,
        oot_months=args.oot_months,
        seed=args.seed,
    )
    out = portfolio_report(args.db, args.out, analysis=an, language=language)
    print(f"report    {out}  ({time.perf_counter() - t0:.1f} s, as of {an.as_of})")
    if args.artifacts:
        files = write_arrears(args.artifacts, an)
        print(f"artifacts {args.artifacts}  ({len(files)} files)")
    m = an.metrics
    cs = m["collection_score"]
    print(f"leases    {m['leases']:,}  ({m['contract_months']:,} lease-months)")
    print(f"score     out-of-time AUC {cs['oot_auc']:.4f}  KS {cs['oot_ks']:.4f}")
    base, rec = m["ladder"]["baseline_model"], m["ladder"]["recommended"]
    print(f"ladder    net {base['net']:,.0f} (historical) -> {rec['net']:,.0f} (recommended)")
    return 0


def _collections_worklist(args: argparse.Namespace) -> int:
    import datetime as dt

    from riskresearch.arrears.worklist import build_worklist, write_worklist
    from riskresearch.atomic import writable_folder
    from riskresearch.errors import ConfigError
    from riskresearch.tables import suffix_kind

    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        raise ConfigError(
            f"--as-of must be a day as YYYY-MM-DD, e.g. 2025-12-31. Got {args.as_of!r} instead."
        ) from None
    out = Path(args.out)
    if suffix_kind(out) is None:
        raise ConfigError(
            f"--out must be a .csv or .parquet file. Got '{out.name}'. Give e.g. worklist.csv."
        )
    writable_folder(out, "worklist")  # before the work, not after
    t0 = time.perf_counter()
    wl = build_worklist(args.release, args.warehouse, as_of)
    write_worklist(wl, out)
    m = wl.metrics
    a = wl.accounts
    print(f"worklist  {out}  ({time.perf_counter() - t0:.1f} s, as of {wl.as_of})")
    print(
        f"accounts  {m['accounts']:,} live delinquent: arrears {m['arrears']:,.0f}, expected "
        f"loss {m['expected_loss']:,.0f}"
    )
    counts = a["next_action"].value_counts()
    print("next      " + ", ".join(f"{k} {int(v):,}" for k, v in counts.items()))
    print(f"rings     {m['ring_alerts']:,} accounts with a fraud-ring alert (route fraud_review)")
    print(f"ladder    {wl.ladders.statement}")
    return 0


def _partners_report(args: argparse.Namespace) -> int:
    from riskresearch import oracle
    from riskresearch.config import PartnersConfig
    from riskresearch.partners import (
        analyse,
        detection,
        partner_report,
        pd_rows,
        write_partners,
    )

    scorer, cfg, where = None, PartnersConfig(), None
    encoding, language = args.encoding, _language(args)
    if args.release:
        from riskresearch.manifest import ReleaseFolder
        from riskresearch.scoring import Scorer

        release = ReleaseFolder.open(args.release, needs=("scorecard",), purpose="score")
        scorer = Scorer(release.path("scorecard.json"))
        config = release.config
        cfg = PartnersConfig.model_validate(config.get("partners", {}))
        where = pd_rows(config["data"].get("filter", {}), cfg)
        encoding = encoding or config["data"].get("encoding")
        language = language or (config.get("report") or {}).get("language")
    t0 = time.perf_counter()
    an = analyse(
        args.db, args.table, scorer, cfg, as_of=args.as_of, pd_filter=where, encoding=encoding
    )
    out = partner_report(args.db, args.out, analysis=an, language=language or "en")
    print(f"report    {out}  ({time.perf_counter() - t0:.1f} s, as of {an.params['as_of']})")
    m = an.metrics
    print(f"partners  {m['partners']}: " + ", ".join(f"{k} {v}" for k, v in m["actions"].items()))
    print(f"expected  {an.params['expected']}")
    det = None
    simulated = oracle.has_partner_truth(args.db)
    if simulated:  # evaluation only: the flags above never read the oracle
        det = detection(an.flags, oracle.partners(args.db))
        print(
            f"truth     worst decile recall {det['recall_worst']:.2f}, good partners flagged "
            f"{det['good_flagged_rate']:.2f}, precision vs degraded {det['precision_bad']:.2f}"
        )
    if args.artifacts:
        files = write_partners(args.artifacts, an, det)
        print(f"artifacts {args.artifacts}  ({len(files)} files)")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from riskresearch.monitoring import alerts_document, monitor_release, write_monitoring

    language = _language(args)
    t0 = time.perf_counter()
    months = (args.first, args.last) if args.first or args.last else None
    mon = monitor_release(
        args.release,
        args.new_data,
        warehouse=args.warehouse,
        months=months,
        encoding=args.encoding,
        language=language,
    )
    doc = alerts_document(mon)
    out = Path(args.out) if args.out else Path("build") / "monitoring"
    files = write_monitoring(out, mon)
    d = mon.baseline.data["development"]
    print(
        f"monitored {mon.months[0]}..{mon.months[-1]} against development "
        f"{d['first_month']}..{d['last_month']}  ({time.perf_counter() - t0:.1f} s)"
    )
    print("months    " + "  ".join(f"{m} {s}" for m, s in doc["months"].items()))
    for a in doc["alerts"]:
        if a["severity"] == "red" or args.verbose:
            print(f"  {a['severity']:<6}{a['kind']:<20}{a['subject']:<28}since {a['since']}")
    print(f"alerts    {doc['red']} red, {doc['amber']} amber  -> {out}/ ({len(files)} files)")
    print(f"report    {out / 'monitoring_report.html'}")
    return 3 if doc["red"] else 0


def _retrain(args: argparse.Namespace) -> int:
    from riskresearch.retrain import retrain

    bar = _Bar("building challenger")
    t0 = time.perf_counter()
    try:
        rel = retrain(args.release, args.version, table=args.table, progress=bar)
    finally:
        bar.close()
    print(f"challenger {rel.path}  ({time.perf_counter() - t0:.0f} s)")
    if rel.metrics.get("same_data_as_champion"):
        print("note       the table is the champion's own data; pass --table with new cohorts")
    comparison = rel.path / "champion_comparison.csv"
    if comparison.is_file():
        import pandas as pd

        table = pd.read_csv(comparison)
        for row in table.to_dict("records"):  # itertuples would rename 'bad_rate_at_0.8'
            print(
                f"  {row['model']:<18}AUC {row['auc']:.4f}  KS {row['ks']:.4f}  bad rate at 80% "
                f"{row['bad_rate_at_0.8']:.2%}  ({row['n']:,} out-of-time rows "
                f"{row['oot_first']}..{row['oot_last']})"
            )
    print(f"decide     riskresearch promote {rel.path} --by NAME [--reject] --note TEXT")
    return 0


def _promote(args: argparse.Namespace) -> int:
    from riskresearch.monitoring import promote

    record = promote(
        args.release, by=args.by, note=args.note, decision="reject" if args.reject else "promote"
    )
    print(f"recorded  {record['decision']} by {record['by']} at {record['at']} in {args.release}")
    return 0


def error_line(exc: BaseException) -> str:
    """An error as one line ending with one full stop."""
    text = " ".join(str(exc).split())
    while text.endswith(".."):
        text = text[:-1]
    return text if text.endswith((".", "?", "!")) else text + "."


def _package_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("riskresearch")
    except metadata.PackageNotFoundError:  # pragma: no cover - only from a bare source tree
        return "unknown"


def _encoding_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--encoding",
        default=None,
        metavar="CODEC",
        help=f"{what} (default UTF-8; e.g. gb18030 for GBK from Excel)",
    )


def _language_option(parser: argparse.ArgumentParser, what: str) -> None:
    from riskresearch.messages import LANGUAGES

    parser.add_argument(
        "--language", default=None, metavar="|".join(LANGUAGES), help=f"{what}; en or zh-CN"
    )


def _language(args: argparse.Namespace) -> str | None:
    """``--language`` checked before any work (a bad one is one line)."""
    from riskresearch.messages import check_language

    return None if args.language is None else check_language(args.language, "--language")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riskresearch", description="Credit-risk research for a device-leasing platform."
    )
    parser.add_argument("--version", action="version", version=f"riskresearch {_package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    ini = sub.add_parser(
        "init", help="create a project folder: example config, data/ and a README of the loop"
    )
    ini.add_argument("folder", help="the project folder (created if missing)")
    ini.add_argument(
        "--example",
        action="store_true",
        help="also simulate the leasing platform into data/ and write example.yaml (a tour)",
    )
    ini.set_defaults(func=_init)
    data = sub.add_parser("data", help="build the embedded simulated warehouse")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    build = data_sub.add_parser(
        "build", help="simulate the platform into DuckDB and build the modeling table"
    )
    build.add_argument(
        "--applications",
        type=int,
        default=100_000,
        metavar="N",
        help="number of applications (default 100000)",
    )
    build.add_argument(
        "--seed",
        type=int,
        default=20240101,
        metavar="S",
        help="seed of every random step (default 20240101)",
    )
    build.add_argument(
        "--out",
        default=str(DEFAULT_DB),
        metavar="PATH",
        help=f"DuckDB file to write (default {DEFAULT_DB})",
    )
    build.add_argument(
        "--table",
        default=str(DEFAULT_TABLE),
        metavar="PATH",
        help=f"modeling-table Parquet file to write (default {DEFAULT_TABLE})",
    )
    build.add_argument(
        "--if-missing",
        action="store_true",
        help="keep an existing warehouse; only rebuild the modeling table",
    )
    build.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="cap DuckDB's memory, e.g. 2GB (it spills to disk beyond it; default: 80%% of RAM)",
    )
    build.set_defaults(func=_data_build)

    rel = sub.add_parser("release", help="build a scorecard release from a config")
    rel.add_argument("config", help="release config, e.g. scorecards/consumer.yaml")
    rel.add_argument(
        "--version",
        default="dev",
        help="release version (numbered versions are immutable; default dev)",
    )
    rel.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="folder of the model folders (default: the config's folder): DIR/<model>/<version>/",
    )
    rel.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="cap DuckDB's memory in every notebook, e.g. 1GB (it spills to a temporary folder "
        "beyond it; pandas and LightGBM are not capped; default: 80%% of RAM)",
    )
    rel.set_defaults(func=_release)

    ver = sub.add_parser("verify", help="check a release's sha256 hashes (exit 1 on mismatch)")
    ver.add_argument("release", help="release folder, e.g. scorecards/consumer/1.0.0")
    ver.add_argument(
        "--rebuild",
        action="store_true",
        help="also rebuild from the manifest's config and compare model artifacts",
    )
    ver.set_defaults(func=_verify)

    sco = sub.add_parser("score", help="score a CSV/Parquet file with a release")
    sco.add_argument("release", help="release folder")
    sco.add_argument("input", help="CSV or Parquet file of applications")
    sco.add_argument("output", help="CSV or Parquet file to write (id, score, pd, reasons)")
    sco.add_argument(
        "--dask",
        action="store_true",
        help="score on Dask: INPUT is Parquet (file, folder or glob), OUTPUT a folder of parts",
    )
    sco.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://host:8786 (default: a local cluster); needs --dask",
    )
    sco.add_argument(
        "--encoding",
        default=None,
        metavar="CODEC",
        help="text encoding of a CSV INPUT (default UTF-8; e.g. gb18030 for GBK from Excel)",
    )
    sco.set_defaults(func=_score)
    dec = sub.add_parser(
        "decide", help="decide applications (approve/refer/decline, grade, terms) with a release"
    )
    dec.add_argument(
        "release",
        nargs="+",
        help="release folder with strategy.json; several (one per segment): each application "
        "goes to the release whose strategy covers it (applies_to)",
    )
    dec.add_argument("input", help="CSV or Parquet file of applications")
    dec.add_argument("output", help="CSV or Parquet file to write (decisions, terms, reasons)")
    dec.add_argument(
        "--dask",
        action="store_true",
        help="decide on Dask: INPUT is Parquet (file, folder or glob), OUTPUT a folder of parts",
    )
    dec.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://host:8786 (default: a local cluster); needs --dask",
    )
    dec.add_argument(
        "--encoding",
        default=None,
        metavar="CODEC",
        help="text encoding of a CSV INPUT (default UTF-8; e.g. gb18030 for GBK from Excel)",
    )
    dec.set_defaults(func=_decide)
    arr = sub.add_parser("arrears", help="post-lease analytics: collections and recovery")
    arr_sub = arr.add_subparsers(dest="arrears_command", required=True)
    rep = arr_sub.add_parser("report", help="write the standalone HTML portfolio report")
    rep.add_argument("db", help="DuckDB warehouse, e.g. data/leasing.duckdb")
    rep.add_argument("out", help="HTML file to write, e.g. build/portfolio.html")
    rep.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="last observed day (default: the warehouse's as-of date)",
    )
    rep.add_argument(
        "--cure-period-days",
        type=int,
        default=90,
        metavar="D",
        help="cure period of the cure rates (default 90)",
    )
    rep.add_argument(
        "--oot-months",
        type=int,
        default=4,
        metavar="M",
        help="out-of-time months of the collection score (default 4)",
    )
    rep.add_argument("--seed", type=int, default=0, help="seed recorded with the score")
    rep.add_argument(
        "--artifacts",
        default=None,
        metavar="DIR",
        help="also write the release artifacts (CSV/JSON) into DIR",
    )
    _language_option(rep, "the report's language (default en)")
    rep.set_defaults(func=_arrears_report)
    col = sub.add_parser("collections", help="day-to-day collections on live accounts")
    col_sub = col.add_subparsers(dest="collections_command", required=True)
    wl = col_sub.add_parser(
        "worklist",
        help="rank every live delinquent account by expected recovery per unit of effort",
    )
    wl.add_argument("release", help="release folder with the behaviour and arrears parts")
    wl.add_argument("warehouse", help="DuckDB warehouse, e.g. data/leasing.duckdb")
    wl.add_argument(
        "--as-of",
        required=True,
        metavar="YYYY-MM-DD",
        help="the day of the list: nothing dated after it is used",
    )
    wl.add_argument("--out", required=True, help="CSV or Parquet file to write")
    wl.set_defaults(func=_collections_worklist)
    par = sub.add_parser("partners", help="partner qualification and performance monitoring")
    par_sub = par.add_subparsers(dest="partners_command", required=True)
    prep = par_sub.add_parser("report", help="write the standalone HTML partner report")
    prep.add_argument("db", help="DuckDB warehouse, e.g. data/leasing.duckdb")
    prep.add_argument("--out", required=True, help="HTML file to write, e.g. build/partners.html")
    prep.add_argument(
        "--release",
        default=None,
        help="release whose scorecard gives the expected bad rates (and partners config)",
    )
    prep.add_argument(
        "--table",
        default=None,
        help="modeling table (default: built in memory from the warehouse)",
    )
    prep.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="last observed day (default: the warehouse's as-of date)",
    )
    prep.add_argument(
        "--artifacts",
        default=None,
        metavar="DIR",
        help="also write the release artifacts (CSV/JSON) into DIR",
    )
    _encoding_option(prep, "text encoding of a CSV --table")
    _language_option(prep, "the report's language (default: the --release config's, else en)")
    prep.set_defaults(func=_partners_report)
    mon = sub.add_parser(
        "monitor", help="monitor new data against a release (exit 3 when a red alert fires)"
    )
    mon.add_argument("release", help="release folder with monitoring_baseline.json")
    mon.add_argument(
        "new_data", help="modeling table (.parquet/.csv) or DuckDB warehouse (.duckdb)"
    )
    mon.add_argument(
        "--out", default=None, metavar="DIR", help="folder to write (default build/monitoring)"
    )
    mon.add_argument(
        "--warehouse",
        default=None,
        metavar="DB",
        help="raw tables of a .parquet/.csv NEW_DATA (fraud signals, instalment indicators)",
    )
    mon.add_argument("--from", dest="first", default=None, metavar="YYYY-MM")
    mon.add_argument("--to", dest="last", default=None, metavar="YYYY-MM")
    mon.add_argument("--verbose", action="store_true", help="also list the amber alerts")
    _encoding_option(mon, "text encoding of a CSV NEW_DATA (default: the release's data.encoding)")
    _language_option(mon, "the monitoring report's language (default: the release's)")
    mon.set_defaults(func=_monitor)
    ret = sub.add_parser("retrain", help="build a challenger release from a champion's config")
    ret.add_argument("release", help="the champion release folder")
    ret.add_argument("--version", required=True, help="the challenger's version")
    ret.add_argument("--table", default=None, help="modeling table with the matured new cohorts")
    ret.set_defaults(func=_retrain)
    pro = sub.add_parser("promote", help="record the promotion decision in a challenger")
    pro.add_argument("release", help="the challenger release folder")
    pro.add_argument("--by", required=True, help="who decides")
    pro.add_argument("--note", default="", help="why")
    pro.add_argument("--reject", action="store_true", help="record a rejection instead")
    pro.set_defaults(func=_promote)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RiskResearchError as exc:
        print(f"riskresearch: error: {error_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("riskresearch: interrupted; nothing partial was left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
