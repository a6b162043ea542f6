"""The daily aggregates in the lake, for Athena: one function (``functions/analytics/
lake_export.py``) on a daily cron at 04:00 UTC (01:00 in São Paulo, after the day's late
imports), a Glue database and table over ``processed/daily_aggregations/``, and an Athena
workgroup whose results stay encrypted in the lake.

The table projects its ``date`` partitions from the key layout (partition projection): a new
day's file is queryable as soon as it is written, with no crawler to run and no partition to
add. The function may replace and delete objects under that prefix and nothing else of the lake;
it alone has the parquet layer (pyarrow).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_athena as athena
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.constructs.events import Events
from stacks.constructs.function import FluxoFunction, FunctionDefaults
from stacks.constructs.lake import ATHENA_RESULTS, DAILY_AGGREGATIONS, Lake
from stacks.packaging import PARQUET_LAYER

SCHEDULE = events.Schedule.cron(minute="0", hour="4", month="*", year="*")
TIMEOUT = Duration.minutes(15)
"""Lambda's longest: seven days of every workspace, one session per workspace."""
EXTRA_LAYERS = (PARQUET_LAYER,)
"""Beside core: pyarrow, which no other function carries."""
TABLE = "daily_aggregations"
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("tenant_id", "string", "The workspace"),
    ("account_id", "string", "The account"),
    ("category_id", "string", "The category; null when uncategorised"),
    ("category_kind", "string", "income, expense or transfer; null when uncategorised"),
    ("category_root", "string", "The top-level category's slug"),
    ("currency", "string", "ISO 4217 code"),
    ("credits", "int", "How many amounts > 0"),
    ("debits", "int", "How many amounts <= 0"),
    ("inflow", "decimal(16,4)", "Sum of the credits"),
    ("outflow", "decimal(16,4)", "Sum of the debits, negative or zero"),
)
"""The Parquet file's columns (``shared.analytics.lake_export.SCHEMA``), as Glue types."""
PARTITION = "date"
FIRST_DAY = "2020-01-01"
"""Where the projected partitions start: older days hold no rows."""


class LakeExport(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        defaults: FunctionDefaults,
        events_: Events,
        lake: Lake,
        key: kms.IKey,
        stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = FluxoFunction(
            self,
            "Function",
            defaults=defaults,
            context="analytics",
            handler="lake_export.handler",
            description="Writes the last 7 days' rollups of every workspace as Parquet to the lake",
            extra_layers=EXTRA_LAYERS,
            memory_mb=1024,
            timeout=TIMEOUT,
            # One run at a time: a retried run replaces the files another is writing.
            reserved_concurrency=1,
        )
        lake.grant_replace(self.function.role, DAILY_AGGREGATIONS)
        self.schedule = events_.add_schedule(
            "Schedule",
            schedule=SCHEDULE,
            target_function=self.function.function,
            description="Fluxo: the last 7 days' aggregates into the lake, daily at 04:00 UTC",
        )
        # Named, not generated: people type these in their queries.
        self.database_name = f"fluxo_{stage}"
        self.database = glue.CfnDatabase(
            self,
            "Catalog",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="Fluxo's lake: daily aggregates as Parquet (docs/analytics.md)",
            ),
        )
        self.table = self._table(lake)
        self.workgroup = self._workgroup(lake, key, stage)

    def _table(self, lake: Lake) -> glue.CfnTable:
        location = f"s3://{lake.bucket.bucket_name}/{DAILY_AGGREGATIONS}"
        table = glue.CfnTable(
            self,
            "DailyAggregations",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=TABLE,
                description="Each day's rollups of every workspace (fluxo analytics export)",
                table_type="EXTERNAL_TABLE",
                partition_keys=[
                    glue.CfnTable.ColumnProperty(
                        name=PARTITION, type="string", comment="The day, YYYY-MM-DD"
                    )
                ],
                parameters={
                    "EXTERNAL": "TRUE",
                    "classification": "parquet",
                    "parquet.compression": "SNAPPY",
                    # Partition projection: Athena computes the partitions from the key layout
                    # instead of reading them from the catalog, so no crawler and no
                    # ALTER TABLE ADD PARTITION; a missing day is an empty partition.
                    "projection.enabled": "true",
                    f"projection.{PARTITION}.type": "date",
                    f"projection.{PARTITION}.format": "yyyy-MM-dd",
                    f"projection.{PARTITION}.range": f"{FIRST_DAY},NOW",
                    f"projection.{PARTITION}.interval": "1",
                    f"projection.{PARTITION}.interval.unit": "DAYS",
                    "storage.location.template": f"{location}{PARTITION}=${{{PARTITION}}}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=(
                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                        ),
                        parameters={"serialization.format": "1"},
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=kind, comment=comment)
                        for name, kind, comment in COLUMNS
                    ],
                ),
            ),
        )
        table.add_dependency(self.database)
        return table

    def _workgroup(self, lake: Lake, key: kms.IKey, stage: str) -> athena.CfnWorkGroup:
        """Results under ``athena-results/`` of the lake, encrypted with the stage key; the
        workgroup's settings win over a client's, so no query writes results elsewhere or in
        the clear."""
        return athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=f"fluxo-{stage}",
            description="Fluxo: queries of the lake's daily aggregates",
            state="ENABLED",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                # A runaway scan of every day stops at 10 GB.
                bytes_scanned_cutoff_per_query=10 * 1024**3,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{lake.bucket.bucket_name}/{ATHENA_RESULTS}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
