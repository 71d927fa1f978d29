"""Configuration that core/ must understand, checked once where the system starts.

Settings validates types; the values only core can read (the column-map file, the per-rule
quality thresholds) are checked here, so `salesops up`, `salesops dev` and the Dagster code
location all stop at start-up with the same actionable ConfigError, and settings.py stays free
of core imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from salesops_pipeline.core.extract.header.columns import ColumnMap, load_column_map
from salesops_pipeline.core.report.anomalies import Limits, parse_figure_thresholds
from salesops_pipeline.core.report.thresholds import Thresholds, parse_thresholds
from salesops_pipeline.settings import Settings


@dataclass(frozen=True)
class CheckedConfig:
    """What start-up read and found valid."""

    column_map: ColumnMap
    thresholds: dict[str, Thresholds]
    figure_limits: dict[str, Limits]


def check_configuration(settings: Settings) -> CheckedConfig:
    """The column map and SALESOPS_RULE_THRESHOLDS, read as the pipeline will read them;
    ConfigError (naming the file or the variable) when either is wrong."""
    map_file, explicit = settings.column_map_location()
    return CheckedConfig(column_map=load_column_map(map_file, explicit=explicit),
                         thresholds=parse_thresholds(settings.rule_thresholds),
                         figure_limits=parse_figure_thresholds(settings.figure_thresholds))
