"""Where a log comes from: a file, a stored name, or the live work-order service.

:func:`open_log` sits above both :mod:`servops.log` and :mod:`servops.service`, so that
the event-log core never imports the service (``log`` is below ``service``): a
``postgresql://`` URL is handed to :func:`servops.service.events.read_service_log`,
anything else to :func:`servops.log.workspace.open_log`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from servops.errors import InvalidParameterError
from servops.log.eventlog import EventLog
from servops.log.workspace import DEFAULT_WORKSPACE
from servops.log.workspace import open_log as open_stored_or_file

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from servops._typing import PathLike
    from servops.log.load import ReadOptions

__all__ = ["SERVICE_SCHEMES", "is_service_url", "open_log"]

#: URL prefixes naming the live service's database.
SERVICE_SCHEMES = ("postgresql://", "postgres://")


def is_service_url(spec: object) -> bool:
    """Whether ``spec`` is the URL of a service database (``postgresql://…``).

    Examples
    --------
    >>> is_service_url("postgresql://u@localhost/servops"), is_service_url("demo")
    (True, False)
    """
    return isinstance(spec, str) and spec.startswith(SERVICE_SCHEMES)


def open_log(
    spec: PathLike | EventLog,
    *,
    db: PathLike = DEFAULT_WORKSPACE,
    options: ReadOptions | None = None,
    engine: Literal["duckdb", "spark"] = "duckdb",
    spark: SparkSession | None = None,
) -> EventLog:
    """A log from a file path, a name stored in the workspace ``db``, or a service URL.

    A ``postgresql://`` URL reads the live work-order service's events
    (:func:`servops.service.events.read_service_log`; ``options`` do not apply); the
    rest is :func:`servops.log.workspace.open_log`. With ``engine="spark"``, ``spec``
    is a Parquet/CSV/Delta path or URL (or a Spark DataFrame) read by Spark through
    ``spark`` (default: a local session), only ``options.columns`` applying
    (:func:`servops.log.spark.read_spark_log`).
    """
    if engine == "spark":
        from servops.log.spark import read_spark_log

        if isinstance(spec, EventLog) or is_service_url(spec):
            msg = (
                "engine='spark' reads Parquet/CSV/Delta paths, URLs or a Spark "
                f"DataFrame; got {spec!r}."
            )
            raise InvalidParameterError(msg)
        return read_spark_log(
            spec, spark=spark, columns=options.columns if options else None
        )
    if engine != "duckdb":
        msg = (
            "The 'engine' parameter of open_log must be 'duckdb' or 'spark'. "
            f"Got {engine!r} instead."
        )
        raise InvalidParameterError(msg)
    if is_service_url(spec):
        from servops.service.events import read_service_log  # the live service

        return read_service_log(str(spec))
    return open_stored_or_file(spec, db=db, options=options)
