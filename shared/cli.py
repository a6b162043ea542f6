"""The ``fluxo`` command: serve, migrate, demo, token, openapi, schemas, search, …"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from shared.domain.access import Role

if TYPE_CHECKING:
    from ml.forecasting.dataset import HouseholdData
    from shared.bootstrap import Container

_DAY = ["%Y-%m-%d"]
"""How the commands read a day."""

app = typer.Typer(
    name="fluxo",
    no_args_is_help=True,
    add_completion=False,
    help="Fluxo: a finance analytics backend. Settings come from FLUXO_* variables.",
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
) -> None:
    """Serve the API (every bounded context) with OpenAPI docs at /docs."""
    import uvicorn

    typer.echo(f"Fluxo API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "shared.http.app:create_local_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        log_level="info",
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema up to date (Alembic)."""
    from shared.db.migrate import current_revision, upgrade
    from shared.settings import get_settings

    container = _container()
    settings = get_settings()
    upgrade(
        container.db.engine,
        revision,
        app_role=settings.database_app_role,
        relay_role=settings.database_relay_role,
    )
    typer.echo(
        f"database at revision {current_revision(container.db.engine)} "
        f"({container.db.url.render_as_string(hide_password=True)})"
    )


@app.command()
def demo(
    households: Annotated[int, typer.Option(min=1, max=1000, help="How many households.")] = 1,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history.")] = 12,
    seed: Annotated[
        int, typer.Option(help="Generator seed: the same seed and end, the same data.")
    ] = 42,
    if_missing: Annotated[bool, typer.Option(help="Do nothing if the demo exists.")] = False,
    end: Annotated[
        datetime | None,
        typer.Option(formats=_DAY, help="Last day of the history (YYYY-MM-DD); today by default."),
    ] = None,
) -> None:
    """Load demo households (a Brazilian family's year of statements, up to today) and print a
    token."""
    from shared.demo.loader import demo_today, load_demo

    container = _container()
    loaded = load_demo(
        container,
        households=households,
        months=months,
        seed=seed,
        if_missing=if_missing,
        # Up to today, so that this month's dashboard, budgets and forecasts have data.
        end=end.date() if end else demo_today(container),
    )
    for item in loaded:
        state = f"{item.transactions} transactions loaded" if item.created else "already there"
        typer.echo(f"demo workspace {item.tenant_id} for {item.email}: {state}")
    first = loaded[0]
    assert container.dev_issuer is not None, "demo tokens need FLUXO_IDENTITY_PROVIDER=local"
    token = container.dev_issuer.issue(
        first.user_id, first.tenant_id, [Role.OWNER], email=first.email
    )
    typer.echo(_walkthrough(token))


@app.command()
def token(
    user: Annotated[UUID, typer.Option(help="User id (the token's subject).")],
    tenant: Annotated[UUID | None, typer.Option(help="Workspace id.")] = None,
    role: Annotated[list[Role], typer.Option(help="Role(s); repeat the option.")] = [Role.OWNER],  # noqa: B006
    email: Annotated[str | None, typer.Option(help="E-mail claim.")] = None,
    hours: Annotated[float, typer.Option(min=0.01, help="Lifetime in hours.")] = 12,
) -> None:
    """Print a dev access token signed by the local issuer (kept in FLUXO_HOME)."""
    container = _container()
    if container.dev_issuer is None:
        raise typer.BadParameter("dev tokens need FLUXO_IDENTITY_PROVIDER=local")
    typer.echo(
        container.dev_issuer.issue(user, tenant, role, email=email, ttl=timedelta(hours=hours))
    )


@app.command()
def openapi() -> None:
    """Print the OpenAPI document of the API (committed as docs/openapi.json)."""
    from shared.http.app import create_local_app

    typer.echo(json.dumps(create_local_app().openapi(), indent=2, ensure_ascii=False))


outbox = typer.Typer(help="The transactional outbox of domain events.", no_args_is_help=True)
app.add_typer(outbox, name="outbox")


@outbox.command("sweep")
def outbox_sweep(
    older_than: Annotated[
        float, typer.Option(min=0, help="Only events committed at least this many seconds ago.")
    ] = 60,
) -> None:
    """Publish committed events that were never delivered (a crash, a failed handler)."""
    container = _container()
    published = container.relay.sweep(older_than=timedelta(seconds=older_than))
    typer.echo(f"published {published} event(s)")


events_app = typer.Typer(
    help="The event backbone: replay the outbox, redrive dead letters.", no_args_is_help=True
)
app.add_typer(events_app, name="events")


@events_app.command("redrive")
def events_redrive(
    queue: Annotated[str, typer.Argument(help="The consumer's queue: name or URL.")],
    dead_letters: Annotated[
        str | None,
        typer.Option(help="Its dead-letter queue (name or URL); from its RedrivePolicy if unset."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Move at most this many.")] = None,
) -> None:
    """Move the messages of QUEUE's dead-letter queue back to QUEUE (SQS, AWS_* credentials)."""
    import boto3

    from shared.adapters.aws.redrive import RedriveError, redrive

    try:
        result = redrive(boto3.client("sqs"), queue, dead_letters=dead_letters, limit=limit)
    except RedriveError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(
        f"moved {result.moved} message(s) from {result.dead_letter_url} to {result.queue_url}"
    )


_ISO_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
]


@events_app.command("replay")
def events_replay(
    since: Annotated[
        datetime,
        typer.Option(formats=_ISO_FORMATS, help="From this time (ISO 8601; UTC if no offset)."),
    ],
    until: Annotated[
        datetime | None,
        typer.Option(formats=_ISO_FORMATS, help="Before this time (ISO 8601; UTC if no offset)."),
    ] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only this event type; repeat the option.")
    ] = None,
) -> None:
    """Publish the outbox's events again to the bus; consumers skip what they applied."""
    from events.registry import EVENT_TYPES

    unknown = sorted(set(event_type or ()) - EVENT_TYPES)
    if unknown:
        raise typer.BadParameter(
            f"unknown event type(s): {', '.join(unknown)}", param_hint="--type"
        )
    start, end = _utc(since), _utc(until) if until else None
    if end is not None and end <= start:
        raise typer.BadParameter("--until must be after --since", param_hint="--until")
    result = _container().relay.replay(since=start, until=end, types=event_type or ())
    typer.echo(f"replayed {result.published} event(s)")
    if result.failed:
        typer.echo(f"error: the bus refused {result.failed} event(s)", err=True)
        raise typer.Exit(code=1)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@app.command("import")
def import_statement(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The bank's file.")],
    account: Annotated[UUID, typer.Option(help="The account it belongs to.")],
    profile: Annotated[str | None, typer.Option(help="Force a CSV profile.")] = None,
) -> None:
    """Import a bank statement (CSV, OFX/QFX, Open Finance JSON) as the workspace's owner."""
    from shared.domain.errors import DomainError
    from shared.services.access import account_owner

    container = _container()
    try:
        caller = account_owner(container.db, account)
    except DomainError as error:
        typer.echo(f"error: {error.detail}", err=True)
        raise typer.Exit(code=2) from error
    lines = _count_lines(file)
    with (
        file.open("rb") as source,
        typer.progressbar(length=lines, label=f"importing {file.name}") as bar,
    ):
        record = container.imports.import_file(
            caller,
            account,
            source,
            filename=file.name,
            profile=profile,
            progress=lambda line: bar.update(max(0, min(line, lines) - bar.pos)),
        )
        bar.update(lines - bar.pos)
    typer.echo(
        f"import {record.id}: {record.status} ({record.format or '?'}/{record.profile or '-'})"
    )
    typer.echo(
        f"  rows read {record.rows_read}, imported {record.imported}, "
        f"duplicates {record.duplicates}, rejected {record.rejected}"
    )
    shown = container.imports.issues(caller, record.id, kind="rejected", limit=_SHOWN_REJECTIONS)
    for issue in shown:
        typer.echo(f"  line {issue.line}: {issue.column or ''} {issue.reason}".rstrip())
    if record.rejected > len(shown):
        typer.echo(
            f"  … and {record.rejected - len(shown)} more (GET /v1/imports/{record.id}/issues)"
        )
    if record.error:
        typer.echo(f"  file rejected: {record.error}")
        raise typer.Exit(code=1)


ml = typer.Typer(help="Categorisation and the models.", no_args_is_help=True)
app.add_typer(ml, name="ml")


@ml.command("categorise")
def ml_categorise(
    csv_in: Annotated[
        Path,
        typer.Option("--csv", exists=True, dir_okay=False, help="CSV with a description column."),
    ],
    out: Annotated[
        Path | None, typer.Option(help="Where to write; standard output if unset.")
    ] = None,
) -> None:
    """Categorise a CSV of statement lines: the same rows, in order, with category,
    subcategory, merchant, source, confidence and evidence added."""
    import sys

    from shared.categorisation.batch import BadCsv, categorise_csv

    categoriser = _container().categoriser
    with csv_in.open(encoding="utf-8-sig", newline="") as source:
        try:
            if out is None:
                count = categorise_csv(source, sys.stdout, categoriser)
                sys.stdout.flush()
            else:
                with out.open("w", encoding="utf-8", newline="") as target:
                    count = categorise_csv(source, target, categoriser)
        except BadCsv as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from error
    typer.echo(f"categorised {count} row(s)", err=True)


@ml.command("train-categoriser")
def ml_train_categoriser(
    out: Annotated[
        Path | None,
        typer.Option(
            file_okay=False, help="Folder for categoriser.onnx and .json; ml/artifacts by default."
        ),
    ] = None,
    households: Annotated[
        int, typer.Option(min=1, max=2000, help="Demo households to train on.")
    ] = 200,
    epochs: Annotated[int, typer.Option(min=1, max=200, help="Passes over the data.")] = 10,
) -> None:
    """Train the categoriser (TensorFlow, the ml extra) and export it to ONNX; the same
    options give the same artefact. Prints the held-out report at the end."""
    from dataclasses import replace

    from ml.categoriser.evaluate import format_report
    from ml.categoriser.train import TrainConfig, train
    from ml.deterministic import TensorFlowMissing
    from shared.categorisation.trained import DEFAULT_MODEL

    defaults = TrainConfig()
    config = TrainConfig(
        data=replace(defaults.data, households=households),
        model=replace(defaults.model, epochs=epochs),
    )
    try:
        _, report = train(config, out or DEFAULT_MODEL.parent, log=typer.echo)
    except TensorFlowMissing as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(format_report(report))


@ml.command("evaluate-categoriser")
def ml_evaluate_categoriser(
    model: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="The ONNX artefact; ml/artifacts by default."),
    ] = None,
) -> None:
    """Score the trained categoriser (onnxruntime) and the base on the merchants held out of
    its training: per-category report, then accuracy, macro-F1, base accuracy and rows."""
    from ml.categoriser.evaluate import evaluate_artefact, format_report
    from shared.categorisation.trained import DEFAULT_MODEL, ModelUnavailable

    try:
        report = evaluate_artefact(model or DEFAULT_MODEL)
    except ModelUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(format_report(report))


class TrainedModelName(StrEnum):
    FORECASTER = "forecaster"
    ANOMALIES = "anomalies"
    CATEGORISER = "categoriser"
    ALL = "all"


@ml.command("train")
def ml_train(
    model: Annotated[
        TrainedModelName, typer.Option(help="Which model; all of them by default.")
    ] = TrainedModelName.ALL,
    households: Annotated[
        int,
        typer.Option(
            min=10,
            max=2000,
            help="Demo households, a fifth held out (the categoriser keeps its own data).",
        ),
    ] = 100,
    months: Annotated[int, typer.Option(min=6, max=60, help="Months of history each.")] = 24,
    out: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Folder for the artefacts; ml/artifacts by default."),
    ] = None,
    lake: Annotated[
        bool, typer.Option(help="Also upload them to the lake: models/{name}/{version}/.")
    ] = False,
    epochs: Annotated[
        int | None, typer.Option(min=1, max=200, help="Passes over the data (each model's own).")
    ] = None,
    workspace: Annotated[
        list[UUID] | None,
        typer.Option(
            help="Also fit the forecaster on this workspace's history (tenant id; repeatable)."
        ),
    ] = None,
) -> None:
    """Train models on the demo households' training split, measure them on the held-out split
    and write their artefacts (ONNX or JSON, with metrics and a description of the data)."""
    from ml.forecasting.train import ARTIFACTS

    folder = out or ARTIFACTS
    chosen = (
        [m for m in TrainedModelName if m is not TrainedModelName.ALL]
        if model is TrainedModelName.ALL
        else [model]
    )
    histories = _workspace_histories(workspace or [])
    written: list[Path] = []
    for name in chosen:
        typer.echo(f"training {name}")
        written.extend(_train_one(name, folder, households, months, epochs, histories))
    if lake:
        _upload_models(written)


def _workspace_histories(tenants: Sequence[UUID]) -> list[HouseholdData]:
    """Each workspace's statement lines as one more household to fit the forecaster on. The
    anomaly thresholds need labelled lines, which a workspace does not have: they keep being
    tuned on the demo households."""
    from ml.forecasting.dataset import HouseholdData
    from shared.services.model_inputs import load_lines

    if not tenants:
        return []
    container = _container()
    histories = []
    for number, tenant in enumerate(tenants):
        with container.unit_of_work(tenant, None) as uow:
            lines = load_lines(uow)
        if not lines:
            typer.echo(f"error: workspace {tenant} has no transactions to learn from", err=True)
            raise typer.Exit(code=2)
        histories.append(HouseholdData.from_lines(-1 - number, lines))
        typer.echo(f"workspace {tenant}: {len(lines)} transaction(s)")
    return histories


def _train_one(
    name: TrainedModelName,
    folder: Path,
    households: int,
    months: int,
    epochs: int | None,
    workspaces: Sequence[HouseholdData] = (),
) -> list[Path]:
    from dataclasses import replace

    if name is TrainedModelName.FORECASTER:
        from rich.progress import Progress

        from ml.deterministic import TensorFlowMissing
        from ml.forecasting.train import ForecasterConfig, train

        config = ForecasterConfig(households=households, months=months)
        if epochs is not None:
            config = replace(config, epochs=epochs)
        with Progress(transient=True) as bar:
            task = bar.add_task("forecaster", total=1.0)
            try:
                trained = train(
                    config,
                    folder,
                    workspaces=workspaces,
                    log=bar.console.print,
                    progress=lambda label, done: bar.update(
                        task, completed=done, description=f"forecaster: {label}"
                    ),
                )
            except TensorFlowMissing as error:
                typer.echo(f"error: {error}", err=True)
                raise typer.Exit(code=2) from error
        report = trained.report
        typer.echo(report.table())
        # One line for the training job's metric filters (stacks/config.py).
        typer.echo(
            f"forecast_mase_30d={report.get('lstm+recurring', 30, 'mase'):.3f} "
            f"best_baseline_mase_30d={report.get(report.best_baseline, 30, 'mase'):.3f} "
            f"coverage80={report.get('lstm+recurring', 30, 'net_coverage80'):.3f}"
        )
        return [trained.onnx, trained.onnx.with_suffix(".json")]
    if name is TrainedModelName.ANOMALIES:
        from ml.anomalies.train import train_anomalies
        from ml.households import households as split_households

        split = split_households(households, months)
        metrics = train_anomalies(split.train, folder)
        typer.echo(json.dumps(metrics, indent=1, ensure_ascii=False, default=str)[:2000])
        return [folder / "anomalies.json"]
    from ml.categoriser.train import TrainConfig
    from ml.categoriser.train import train as train_categoriser
    from ml.deterministic import TensorFlowMissing

    defaults = TrainConfig()
    categoriser_config = TrainConfig(
        model=replace(defaults.model, epochs=epochs or defaults.model.epochs)
    )
    try:
        onnx_path, _ = train_categoriser(categoriser_config, folder, log=typer.echo)
    except TensorFlowMissing as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    return [onnx_path, onnx_path.with_suffix(".json")]


_CONTENT_TYPES = {".json": "application/json", ".onnx": "application/octet-stream"}


def _upload_models(paths: Sequence[Path]) -> None:
    """Each artefact under models/{name}/{version}/, the version being the UTC time of the
    upload and the first characters of the model file's SHA-256."""
    import hashlib

    store = _container().object_store
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    by_model: dict[str, list[Path]] = {}
    for path in paths:
        by_model.setdefault(path.stem, []).append(path)
    for name, files in by_model.items():
        main = next((path for path in files if path.suffix == ".onnx"), files[0])
        version = f"{stamp}-{hashlib.sha256(main.read_bytes()).hexdigest()[:8]}"
        for path in files:
            key = f"models/{name}/{version}/{path.name}"
            with path.open("rb") as content:
                store.put(key, content, content_type=_CONTENT_TYPES.get(path.suffix))
            typer.echo(f"uploaded {key}")


@ml.command("evaluate")
def ml_evaluate(
    households: Annotated[
        int, typer.Option(min=10, max=2000, help="Demo households (a fifth held out).")
    ] = 100,
    months: Annotated[int, typer.Option(min=6, max=60, help="Months of history each.")] = 24,
    model_dir: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Folder of the artefacts; ml/artifacts by default."),
    ] = None,
) -> None:
    """Back-test the forecaster and its baselines and score the anomaly detector on the held-out
    households; the last line sums it up."""
    from ml.anomalies.evaluate import evaluate_anomalies
    from ml.forecasting.evaluate import evaluate_forecaster
    from ml.households import households as split_households
    from shared.forecasting.errors import ModelUnavailable

    try:
        forecasts = evaluate_forecaster(households, months, directory=model_dir)
    except ModelUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(forecasts.table())
    anomalies = evaluate_anomalies(split_households(households, months).held_out)
    typer.echo(anomalies.table())
    typer.echo(
        f"forecast_mase_30d={forecasts.get('lstm+recurring', 30, 'mase'):.3f} "
        f"best_baseline_mase_30d={forecasts.get(forecasts.best_baseline, 30, 'mase'):.3f} "
        f"coverage80={forecasts.get('lstm+recurring', 30, 'net_coverage80'):.3f} "
        f"anomaly_f1={anomalies.overall_f1:.3f} zscore_f1={anomalies.zscore_f1:.3f}"
    )


@ml.command("serve")
def ml_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on (SageMaker's is 8080).")] = 8080,
    models: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Folder of the model artefacts; ml/artifacts."),
    ] = None,
) -> None:
    """Serve the models as the SageMaker container does: GET /ping, POST /invocations."""
    from ml.serving.server import main as serve_models

    arguments = ["--host", host, "--port", str(port)]
    if models is not None:
        arguments += ["--models", str(models)]
    serve_models(arguments)


_SHOWN_REJECTIONS = 50


def _count_lines(file: Path) -> int:
    """For the progress bar: the import reports the line of the file it has reached."""
    count = 0
    with file.open("rb") as source:
        while chunk := source.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count, 1)


notifications_app = typer.Typer(
    help="Notifications: the local outbox, the delivery sweep, failures.", no_args_is_help=True
)
app.add_typer(notifications_app, name="notifications")


@notifications_app.command("list")
def notifications_list(
    user: Annotated[
        UUID | None, typer.Option(help="Only messages to this person (user id).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="The newest this many.")] = 20,
) -> None:
    """Print what the embedded notifier sent (the local outbox), newest first."""
    from shared.adapters.local.notifier import outbox_messages

    messages = outbox_messages(_container().db, user_id=user, limit=limit)
    if not messages:
        typer.echo("the local outbox is empty")
    for message in messages:
        typer.echo(
            f"{message.sent_at:%Y-%m-%d %H:%M:%S}Z  {message.channel:<5}  {message.address}  "
            f"user {message.user_id}"
        )
        if message.subject:
            typer.echo(f"    {message.subject}")
        typer.echo(f"    {message.body}")


@notifications_app.command("deliver")
def notifications_deliver() -> None:
    """Send the notifications that are due: retries, the end of quiet hours, dead attempts."""
    report = _container().notifications.deliver_due()
    typer.echo(
        f"sent {report.sent}, retrying {report.retrying}, deferred {report.deferred}, "
        f"failed {report.failed}"
    )


@notifications_app.command("failed")
def notifications_failed(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="The newest this many.")] = 20,
) -> None:
    """List the notifications that failed after every attempt, with their last error."""
    rows = _container().notifications.failed(limit=limit)
    if not rows:
        typer.echo("no failed notifications")
    for row in rows:
        typer.echo(
            f"{row.updated_at:%Y-%m-%d %H:%M:%S}Z  {row.channel:<5}  {row.address}  "
            f"{row.event_type}  attempts {row.attempts}  id {row.id}"
        )
        typer.echo(f"    {row.last_error}")


search_app = typer.Typer(help="Transaction search: its index.", no_args_is_help=True)
app.add_typer(search_app, name="search")


@search_app.command("reindex")
def search_reindex(
    tenant: Annotated[
        UUID | None, typer.Option(help="Only this workspace (tenant id); every one by default.")
    ] = None,
) -> None:
    """Rebuild the search index from the transactions: after a restore, a tag renamed, or an
    index (OpenSearch) created anew."""
    container = _container()
    for tenant_id in workspaces(container, tenant):
        written = container.search.reindex(tenant_id)
        typer.echo(f"{tenant_id}: {written} transaction(s) indexed")


analytics_app = typer.Typer(help="Analytics: the rollups dashboards read.", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")


@analytics_app.command("rebuild")
def analytics_rebuild(
    tenant: Annotated[
        UUID | None, typer.Option(help="Only this workspace (tenant id); every one by default.")
    ] = None,
) -> None:
    """Recompute the rollups from the transactions: after a restore, a bug fixed in how they are
    kept, or to check them. Safe while events flow: what the transactions already hold is marked
    applied in the same snapshot."""
    container = _container()
    for tenant_id in workspaces(container, tenant):
        rows = container.analytics.rebuild(tenant_id)
        typer.echo(f"{tenant_id}: {rows} rollup row(s)")


@analytics_app.command("refresh-snapshots")
def analytics_refresh_snapshots() -> None:
    """Compute again the dashboards' snapshots of every workspace where a new day has begun
    since they were computed (what a schedule does every 15 minutes in AWS), so the day's first
    opening of a dashboard is served, not computed."""
    container = _container()
    run = container.analytics.refresh_day()
    typer.echo(f"{len(run.refreshed)} workspace(s) refreshed")
    for tenant_id in run.refreshed:
        typer.echo(f"  {tenant_id}")
    for tenant_id, reason in run.failed:
        typer.echo(f"error: workspace {tenant_id}: {reason}", err=True)
    if run.failed:
        raise typer.Exit(code=1)


@analytics_app.command("export")
def analytics_export(
    day: Annotated[
        datetime | None, typer.Option(formats=_DAY, help="Only this day (YYYY-MM-DD).")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=_DAY, help="From this day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(
            formats=_DAY, help="To this day, included (YYYY-MM-DD); yesterday by default."
        ),
    ] = None,
) -> None:
    """Write the daily rollups of every workspace to the lake as Parquet, one file per day
    (processed/daily_aggregations/date=YYYY-MM-DD/), for Athena; by default the last 7 days up
    to yesterday (UTC). A day exported again is replaced; a day without rows loses its file."""
    if day is not None and (since is not None or until is not None):
        raise typer.BadParameter("--day goes alone, without --since or --until", param_hint="--day")
    if until is not None and since is None:
        raise typer.BadParameter("--until needs --since", param_hint="--until")
    container = _container()
    try:
        from shared.analytics.lake_export import recent
    except ImportError as error:
        typer.echo(
            f"error: {error}: install the parquet extra (pip install -e '.[parquet]')", err=True
        )
        raise typer.Exit(code=2) from error
    if day is not None:
        start = end = day.date()
    elif since is not None:
        start = since.date()
        end = until.date() if until is not None else container.clock.today() - timedelta(days=1)
    else:
        start, end = recent(container.clock.today())
    if end < start:
        raise typer.BadParameter(f"the range ends ({end}) before it starts ({start})")
    written = removed = rows = 0
    for export in container.lake_export.export(start, end, workspaces(container, None)):
        if export.written:
            written += 1
            rows += export.rows
            typer.echo(
                f"{export.day}: {export.rows} row(s) of {export.workspaces} workspace(s) "
                f"-> {export.key}"
            )
        else:
            removed += 1
            typer.echo(f"{export.day}: no rows, no file")
    typer.echo(
        f"{written} day(s) written ({rows} row(s)), {removed} without rows, {start} to {end}"
    )


reports_app = typer.Typer(help="Scheduled reports: monthly and weekly.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@reports_app.command("run")
def reports_run(
    period: Annotated[
        str, typer.Option(help="A month (2026-10) or an ISO week (2026-W44, weekly reports).")
    ],
    tenant: Annotated[
        UUID | None, typer.Option(help="Only this workspace (tenant id); every one by default.")
    ] = None,
) -> None:
    """Write each person's report of the period into the lake (reports/…) and announce it by
    e-mail; running a period again replaces its files without a second e-mail."""
    from shared.domain.errors import InvalidInput
    from shared.reports.periods import ReportPeriod

    try:
        chosen = ReportPeriod.parse(period)
    except InvalidInput as error:
        raise typer.BadParameter(error.detail, param_hint="--period") from None
    run = _container().reports.run_scheduled(chosen, tenant)
    for report in run.written:
        typer.echo(f"{report.tenant_id} {report.user_id} {report.html_key}  {report.url}")
    for tenant_id, user_id, reason in run.failed:
        typer.echo(f"{tenant_id} {user_id} FAILED: {reason}", err=True)
    typer.echo(f"{len(run.written)} report(s) of {chosen.key} written, {len(run.failed)} failed")
    if run.failed:
        raise typer.Exit(1)


@app.command()
def schemas(
    out: Annotated[Path | None, typer.Option(help="Folder; events/schemas by default.")] = None,
) -> None:
    """Write the JSON Schemas of the domain events (committed in events/schemas) and a sample
    of each event (events/samples, or OUT/samples)."""
    from events.samples import SAMPLE_DIR, write_samples
    from events.schemas import SCHEMA_DIR, write_schemas

    for path in write_schemas(out or SCHEMA_DIR):
        typer.echo(str(path))
    for path in write_samples(out / "samples" if out else SAMPLE_DIR):
        typer.echo(str(path))


def _container() -> Container:
    from shared.bootstrap import bootstrap

    return bootstrap()


def workspaces(container: Container, tenant: UUID | None) -> list[UUID]:
    """``tenant``, or every workspace."""
    from shared.services.access import every_workspace

    if tenant is not None:
        return [tenant]
    return every_workspace(container.db)


def _walkthrough(token: str) -> str:
    base = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    return f"""
Dev token (12 h):
export TOKEN={token}

Try it (with `make run` serving {base}):
  curl -s {base}/v1/accounts -H "Authorization: Bearer $TOKEN"
  curl -s "{base}/v1/transactions?limit=5" -H "Authorization: Bearer $TOKEN"
  curl -s "{base}/v1/transactions?q=ifood&sort=-amount&limit=3" -H "Authorization: Bearer $TOKEN"
Docs: {base}/docs
"""


def main() -> None:
    app()
