"""The Spark SQL dialect: the analyses' DuckDB SQL rendered for Spark 3.5.

Analyses write one statement in DuckDB's dialect (with the dialect helpers of
:mod:`servops.log.engine`); a Spark-backed log (:mod:`servops.log.spark`) runs it through
:func:`to_spark`, which parses it with sqlglot and rewrites what Spark 3.5 says
differently before rendering it for Spark:

====================================  =================================================
DuckDB                                Spark 3.5
====================================  =================================================
``quantile_cont(x, q)``               ``percentile(x, q)``: both exact, linear
                                      interpolation between the closest ranks
                                      (NumPy's default ``linear`` method)
``epoch_us(t)``                       ``unix_micros(t)``
``timezone('Zone', t)``               ``CAST(from_utc_timestamp(t, 'Zone') AS
                                      TIMESTAMP_NTZ)``: the wall-clock time, naive
``string_agg(x, sep ORDER BY k…)``    ``array_join(transform(array_sort(collect_list(
                                      struct(k…, x))), s -> s.x), sep)``
``list(x ORDER BY k…)``               the same without ``array_join``
``name AS NOT MATERIALIZED (…)``      ``name AS (…)`` (Spark always inlines CTEs)
``1.5`` (a DECIMAL literal)           ``CAST(1.5 AS DOUBLE)``: Spark keeps DECIMAL
                                      arithmetic to 6 digits after the point where
                                      DuckDB gives DOUBLE
``?`` parameters                      the values, as SQL literals
====================================  =================================================

sqlglot does the rest (identifier quoting, ``NULLS LAST`` made explicit since the two
engines' defaults differ, ``IS NOT DISTINCT FROM``, casts). Ordered aggregates sort
ascending only (every analysis does); a descending one is refused by name rather than
rendered wrongly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlglot
from sqlglot import exp

__all__ = ["SparkDialectError", "to_spark"]


class SparkDialectError(ValueError):
    """A DuckDB construct this module cannot render for Spark (a bug to fix here)."""


def to_spark(sql: str, params: list[object] | None = None) -> str:
    r"""``sql`` (DuckDB dialect, ``?`` parameters bound to ``params``) as Spark SQL.

    Examples
    --------
    >>> to_spark("SELECT quantile_cont(d, 0.5) FROM t")
    'SELECT PERCENTILE(d, CAST(0.5 AS DOUBLE)) FROM t'
    >>> to_spark('SELECT epoch_us("timestamp") / 1e6 FROM t WHERE x = ?', ["a'b"])
    "SELECT UNIX_MICROS(`timestamp`) / 1e6 FROM t WHERE x = 'a\\'b'"
    """
    try:
        tree = sqlglot.parse_one(_bind(sql, list(params or [])), read="duckdb")
    except sqlglot.errors.ParseError as exc:
        msg = f"cannot parse the analysis SQL for Spark: {exc}\n{sql}"
        raise SparkDialectError(msg) from exc
    return _post_order(tree).sql(dialect="spark")


def _bind(sql: str, params: list[object]) -> str:
    """``sql`` with each ``?`` mark replaced by its parameter as a DuckDB literal."""
    marks = [
        t
        for t in sqlglot.tokenize(sql, read="duckdb")
        if t.token_type == sqlglot.TokenType.PLACEHOLDER
    ]
    if len(marks) != len(params):
        msg = f"the SQL has {len(marks)} '?' mark(s) for {len(params)} parameter(s)"
        raise SparkDialectError(msg)
    out, at = [], 0
    for mark, value in zip(marks, params, strict=True):
        out += [sql[at : mark.start], _literal(value).sql(dialect="duckdb")]
        at = mark.end + 1
    return "".join(out) + sql[at:]


def _post_order(node: exp.Expr) -> exp.Expr:
    """``node`` rewritten children first, so rewrites nest (a quantile of an epoch)."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expr):
            node.set(key, _post_order(value))
        elif isinstance(value, list):
            node.set(
                key,
                [_post_order(v) if isinstance(v, exp.Expr) else v for v in value],
            )
    return _rewrite(node)


def _rewrite(node: exp.Expr) -> exp.Expr:
    """One node in Spark's terms (its children are rewritten already)."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
        return node
    if isinstance(node, exp.PercentileCont):
        return exp.Anonymous(
            this="percentile", expressions=[node.this, node.expression]
        )
    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.name
        if "." in text and "e" not in text.lower():
            return exp.Cast(this=node, to=exp.DataType.build("DOUBLE"))
        return node
    if isinstance(node, exp.DayOfWeekIso | exp.DayOfWeek):
        return _weekday(node)
    if isinstance(node, exp.Anonymous):
        return _function(node)
    if isinstance(node, exp.GroupConcat):
        return _ordered_agg(node.this, node.args.get("separator"))
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_agg(node.this, None)
    return node


def _weekday(node: exp.DayOfWeekIso | exp.DayOfWeek) -> exp.Expr:
    """DuckDB's ``isodow`` and ``dayofweek`` from Spark's ``dayofweek``.

    DuckDB: ``isodow`` Monday 1 … Sunday 7, ``dayofweek`` Sunday 0 … Saturday 6;
    Spark's ``dayofweek`` is Sunday 1 … Saturday 7. sqlglot renders ``isodow`` as ``dayofweek % 7 + 1`` (Sunday 2) and ``dayofweek``
    unchanged (one day off): both wrong for Spark.
    """
    spark_dow = exp.Anonymous(this="dayofweek", expressions=[node.this])
    if isinstance(node, exp.DayOfWeekIso):
        shifted = exp.Mod(
            this=exp.Paren(
                this=exp.Add(this=spark_dow, expression=exp.Literal.number(5))
            ),
            expression=exp.Literal.number(7),
        )
        return exp.Paren(
            this=exp.Add(this=exp.Paren(this=shifted), expression=exp.Literal.number(1))
        )
    return exp.Paren(this=exp.Sub(this=spark_dow, expression=exp.Literal.number(1)))


def _function(node: exp.Anonymous) -> exp.Expr:
    name = str(node.this).lower()
    args = node.expressions
    if name == "epoch_us":
        return exp.Anonymous(this="unix_micros", expressions=args)
    if name == "timezone":
        shifted = exp.Anonymous(
            this="from_utc_timestamp", expressions=[args[1], args[0]]
        )
        return exp.Cast(this=shifted, to=exp.DataType.build("TIMESTAMP_NTZ"))
    return node


def _ordered_agg(arg: exp.Expr, separator: exp.Expr | None) -> exp.Expr:
    """``collect_list`` sorted by the ORDER BY keys (ascending), then joined."""
    if isinstance(arg, exp.Order):
        value, keys = arg.this, list(arg.expressions)
    else:
        value, keys = arg, []
    fields: list[exp.Expr] = []
    for i, key in enumerate(keys):
        if key.args.get("desc"):
            msg = f"an ordered aggregate sorted descending ({key.sql('duckdb')})"
            raise SparkDialectError(msg)
        fields.append(exp.alias_(key.this.copy(), f"k{i}"))
    fields.append(exp.alias_(value.copy(), "v"))
    listed = exp.Anonymous(
        this="collect_list", expressions=[exp.Struct(expressions=fields)]
    )
    sort = exp.Anonymous(this="array_sort", expressions=[listed]) if keys else listed
    values = exp.Anonymous(
        this="transform",
        expressions=[
            sort,
            exp.Lambda(
                this=exp.Dot(this=exp.column("s"), expression=exp.to_identifier("v")),
                expressions=[exp.to_identifier("s")],
            ),
        ],
    )
    if separator is None:
        return values
    return exp.Anonymous(this="array_join", expressions=[values, separator])


def _literal(value: object) -> exp.Expr:
    """A parameter value as an SQL literal."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        # rendered in DuckDB's terms first: TIMESTAMPTZ becomes Spark's TIMESTAMP (an
        # instant), TIMESTAMP its TIMESTAMP_NTZ (a wall-clock time)
        aware = value.tzinfo is not None
        text = (value.astimezone(dt.UTC) if aware else value).isoformat(sep=" ")
        kind = "TIMESTAMPTZ" if aware else "TIMESTAMP"
        return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build(kind))
    if isinstance(value, dt.date):
        return exp.Cast(
            this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE")
        )
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    msg = f"cannot pass a parameter of type {type(value).__name__} to Spark SQL: {value!r}"
    raise SparkDialectError(msg)
