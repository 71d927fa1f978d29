"""What the Dagster UI shows about each asset: owners, tags, table name, columns, code links.

The column schemas are written by hand in defs/table_schemas.py; here each one is compared with
the real table in the test database (information_schema), so they cannot drift from sql/.
"""

from __future__ import annotations

from dagster import CodeReferencesMetadataValue, TableSchema

from salesops_pipeline.core.extract.rows.sales_line import RejectedRow
from salesops_pipeline.definitions import defs
from salesops_pipeline.defs.metadata import rejections_markdown

TABLE_OF = {  # asset → its table, from the SQL each asset's code writes
    "raw_sales_rows": "stage_sales_line", "dim_product": "dim_product",
    "dim_seller": "dim_seller", "dim_shipping_company": "dim_shipping_company",
    "fact_sales_line": "fact_sales_line", "report_weekly_summary": "report_daily_sales",
    "report_seller_ranking": "report_daily_seller", "report_top_products": "report_daily_product",
    "report_shipping_breakdown": "report_daily_shipping",
    "report_data_quality": "report_daily_quality",
}
FILE_ASSETS = {"weekly_report_export"}  # files in SALESOPS_EXPORT_DIR, no table


def _nodes():
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_asset_has_owner_tags_and_code_reference() -> None:
    nodes = _nodes()
    assert set(nodes) == set(TABLE_OF) | FILE_ASSETS
    for name, node in nodes.items():
        assert node.owners == ["team:sales-ops"], name
        assert node.tags.get("domain") == "sales" and node.tags.get("layer"), name
        refs = node.metadata["dagster/code_references"]
        assert isinstance(refs, CodeReferencesMetadataValue), name
        paths = [r.file_path for r in refs.code_references]
        assert paths and all(p.endswith(".py") and "salesops_pipeline/defs/" in p
                             for p in paths), (name, paths)


def test_table_assets_name_their_table_and_columns_that_exist(sql) -> None:
    nodes = _nodes()
    for name, table in TABLE_OF.items():
        metadata = nodes[name].metadata
        assert metadata["dagster/table_name"] == f"salesops.{table}", name
        schema = metadata["dagster/column_schema"]
        assert isinstance(schema, TableSchema)
        rows = sql("SELECT column_name, data_type FROM information_schema.columns"
                   " WHERE table_schema = 'salesops' AND table_name = %s", (table,))
        in_db = dict(rows)
        listed = [c.name for c in schema.columns]
        assert sorted(listed) == sorted(in_db), (table, listed, in_db)
        for column in schema.columns:  # "numeric(24,6)" → numeric; "timestamptz" → … time zone
            base = column.type.split("(")[0]
            expected = {"timestamptz": "timestamp with time zone",
                        "timestamp": "timestamp without time zone"}.get(base, base)
            assert in_db[column.name] == expected, (table, column.name, column.type)
            assert column.description, (table, column.name)
    for name in FILE_ASSETS:
        assert "dagster/table_name" not in nodes[name].metadata


def test_rejected_rows_table_shows_names_as_text_not_markup() -> None:
    row = RejectedRow(7, {"product": "[Reset password](https://evil.example)|x\n# y"},
                      ("units: <b>none</b>",))
    assert rejections_markdown([row]).splitlines()[2] == (
        r"| 7 | units: \<b\>none\</b\> | "
        r'{"product": "\[Reset password\](https://evil.example)\|x\\n# y"} |')
