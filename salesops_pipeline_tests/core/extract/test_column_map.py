"""The users' column-map file: merging, validation messages, header matching, messages, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from salesops_pipeline.cli.main import main
from salesops_pipeline.core.extract.header.columns import (
    ALIASES,
    CANONICAL_ORDER,
    default_column_map,
    describe_needed_columns,
    find_header,
    load_column_map,
    missing_columns,
)
from salesops_pipeline.errors import ConfigError, MissingColumns
from salesops_pipeline.settings import PROJECT_ROOT, Settings

SOURCE_HEADER = ["Time", "Product", "Seller", "Unit Price", "Units", "Total Price",
                 "Shipping Company"]


def write_map(tmp_path: Path, text: str, name: str = "column_map.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_column_map(path, explicit=True)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


# ---- merging ---------------------------------------------------------------------------------


def test_file_spellings_are_added_to_the_built_in_ones(tmp_path: Path) -> None:
    path = write_map(tmp_path, '[columns]\nsold_at = ["Verkaufszeit", "Booked on"]\n'
                               'units = ["Stück", "STÜCK", "qty"]\n')
    cmap = load_column_map(path, explicit=True)
    assert cmap.source == path and cmap.map_file == path
    assert cmap.aliases["sold_at"] == (*ALIASES["sold_at"], "Verkaufszeit", "Booked on")
    # "STÜCK" is "Stück" again and "qty" is built-in: neither is added twice.
    assert cmap.aliases["units"] == (*ALIASES["units"], "Stück")
    assert cmap.added("units") == ("Stück",) and cmap.added("seller") == ()
    for column in ("product", "seller", "unit_price", "total_price", "shipping_company"):
        assert cmap.aliases[column] == ALIASES[column]
    assert cmap.canonical_for("booked-on") == "sold_at"
    assert cmap.canonical_for("stück (pcs)") == "units"
    assert cmap.canonical_for("Quantity") == "units"  # built-in spellings still work


def test_an_absent_default_file_means_built_in_spellings(tmp_path: Path) -> None:
    path = tmp_path / "column_map.toml"
    cmap = load_column_map(path, explicit=False)
    assert cmap.source is None and cmap.map_file == path
    assert cmap.aliases == default_column_map().aliases
    assert load_column_map(None, explicit=False).aliases == default_column_map().aliases


def test_an_empty_file_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    assert load_column_map(write_map(tmp_path, ""), explicit=True).added("units") == ()
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeff[columns]\nunits = ["Stück"]\n'.encode())
    assert load_column_map(path, explicit=True).added("units") == ("Stück",)


# ---- validation --------------------------------------------------------------------------------


def test_a_configured_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    message = config_error(tmp_path / "nowhere.toml")
    assert "does not exist" in message and "column_map.example.toml" in message


def test_a_folder_is_not_a_column_map(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_column_map(tmp_path, explicit=False)


def test_an_unknown_column_lists_the_valid_ones(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, '[columns]\n"Unit Price" = ["Preis"]\n'
                                               'colour = ["Farbe"]\n'))
    assert "2 problems" in message
    assert "unknown column 'Unit Price' (did you mean unit_price?)" in message
    assert "unknown column 'colour', the columns are" in message
    assert ("sold_at, product, seller, unit_price, units, total_price, shipping_company"
            in message)


@pytest.mark.parametrize(
    ("value", "kind"),
    [('"Stück"', "the single string 'Stück'"), ('["Stück", 3]', "a list holding non-strings"),
     ("3", "a number"), ("{ a = 1 }", "a table"), ("true", "a boolean")],
)
def test_a_value_that_is_not_a_list_of_strings_is_refused(
        tmp_path: Path, value: str, kind: str) -> None:
    message = config_error(write_map(tmp_path, f"[columns]\nunits = {value}\n"))
    assert "1 problem:" in message and "units must be a list of quoted spellings" in message
    assert kind in message


@pytest.mark.parametrize("spelling", ["", "  ", "---", "(EUR)", "[units]"])
def test_a_spelling_without_letters_or_digits_is_refused(tmp_path: Path, spelling: str) -> None:
    message = config_error(write_map(tmp_path, f'[columns]\nproduct = ["Artikel", "{spelling}"]\n'))
    assert f"product: the spelling {spelling!r} has no letters or digits" in message


def test_a_spelling_claimed_by_a_built_in_column_names_both(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, '[columns]\nunits = ["Total"]\n'))
    assert "'Total' is claimed by total_price (built-in) and units (column_map.toml)" in message


def test_a_canonical_name_cannot_be_given_to_another_column(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, '[columns]\nseller = ["Product"]\n'))
    assert "'Product' is claimed by product (built-in) and seller (column_map.toml)" in message


def test_a_spelling_claimed_twice_in_the_file_names_both(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, '[columns]\nproduct = ["Artikel"]\n'
                                               'seller = ["ARTIKEL"]\n'))
    assert ("'ARTIKEL' is claimed by product (column_map.toml) and seller (column_map.toml)"
            in message)


def test_a_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, '[columns]\n\nunits = [Stück]\n'))
    assert "not valid TOML" in message and "line 3" in message


def test_spellings_outside_the_table_and_other_sections_are_refused(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, 'units = ["Stück"]\n[colums]\nseller = ["V"]\n'))
    assert "'units' is outside the [columns] table" in message
    assert "unknown section or key 'colums'" in message
    message = config_error(write_map(tmp_path, 'columns = ["Stück"]\n'))
    assert "'columns' must be a table" in message


def test_a_date_order_table_orders_files_by_pattern(tmp_path: Path) -> None:
    path = write_map(tmp_path, '[columns]\n[date_order]\n"us/*" = "mdy"\n"*_eu.csv" = "DMY"\n'
                               '"*" = "auto"\n')
    assert load_column_map(path, explicit=True).date_orders == (
        ("us/*", "mdy"), ("*_eu.csv", "dmy"), ("*", "auto"))
    assert load_column_map(write_map(tmp_path, '[date_order]\n"a*" = "dmy"\n', "only.toml"),
                           explicit=True).date_orders == (("a*", "dmy"),)


def test_a_bad_date_order_is_refused_with_the_choices(tmp_path: Path) -> None:
    message = config_error(write_map(tmp_path, '[date_order]\n"us/*" = "us"\n"x" = 1\n'))
    assert "(1) date_order: 'us/*' must be one of 'dmy', 'mdy', 'auto', not 'us'" in message
    assert "(2) date_order: 'x' must be one of 'dmy', 'mdy', 'auto', not a number" in message
    message = config_error(write_map(tmp_path, 'date_order = "mdy"\n'))
    assert "'date_order' must be a table" in message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[columns]\nunits = ["Stück"]\n'.encode("latin-1"))
    assert "not UTF-8 text" in config_error(path)


# ---- header matching ---------------------------------------------------------------------------


def test_the_source_system_header_names_all_seven_columns() -> None:
    match = find_header([(1, SOURCE_HEADER)], column_map=default_column_map(), sheet="Sales")
    assert match is not None and match.row_number == 1
    assert match.columns == {"sold_at": 0, "product": 1, "seller": 2, "unit_price": 3,
                             "units": 4, "total_price": 5, "shipping_company": 6}


def test_a_spelling_from_the_file_is_matched(tmp_path: Path) -> None:
    cmap = load_column_map(write_map(tmp_path, '[columns]\nsold_at = ["Verkaufszeit"]\n'
                                               'units = ["Stück"]\n'), explicit=True)
    header = ["Report", None, None]
    cells = ["Verkaufszeit", "Product", "Seller", "Unit Price", "Stück", "Total Price"]
    match = find_header([(1, header), (2, cells)], column_map=cmap, sheet=None, first_column=2)
    assert match is not None and match.row_number == 2
    assert match.columns == {"sold_at": 2, "product": 3, "seller": 4, "unit_price": 5,
                             "units": 6, "total_price": 7}
    with pytest.raises(MissingColumns) as caught:  # the built-in map does not know them
        find_header([(2, cells)], column_map=default_column_map(), sheet=None)
    assert caught.value.missing == ["sold_at", "units"]


# ---- messages ----------------------------------------------------------------------------------


def test_missing_columns_message_says_what_and_how_to_map(tmp_path: Path) -> None:
    path = write_map(tmp_path, '[columns]\nunits = ["Stück"]\n')
    cmap = load_column_map(path, explicit=True)
    cells = ["Zeit", "Product", "Verkäufer", "Unit Price", "Stück", "Total Price", "Notes\nx"]
    with pytest.raises(MissingColumns) as caught:
        find_header([(4, cells)], column_map=cmap, sheet="Sales")
    error = caught.value
    assert (error.missing, error.sheet, error.header_row) == (["sold_at", "seller"], "Sales", 4)
    assert error.unrecognised == ["Zeit", "Verkäufer", "Notes\nx"]
    message = str(error)
    assert "\n" not in message
    assert message.startswith("sheet 'Sales', header on row 4: missing required column(s): "
                              "Time (sold_at), Seller (seller);")
    assert "header cells not recognised: 'Zeit', 'Verkäufer', 'Notes\\nx';" in message
    assert "Time (sold_at) as 'Time', 'sold_at', 'date'" in message
    assert "Seller (seller) as 'Seller', 'salesperson'" in message
    assert f"under [columns] in {path}, e.g. sold_at = [\"Zeit\"]" in message


def test_missing_columns_message_without_a_map_file_points_to_the_verb() -> None:
    message = str(missing_columns(["units"], None, 1, [f"C{i}" for i in range(10)]))
    assert message.startswith("header on line 1: missing required column(s): Units (units);")
    assert "'C7' and 2 more;" in message and "'C8'" not in message
    assert "`salesops columns`" in message and 'units = ["C0"]' in message
    assert str(missing_columns(["units"], "S", 2, [])).startswith(
        "sheet 'S', header on row 2: missing required column(s): Units (units); "
        "header cells not recognised: none; accepted spellings include Units (units) as ")
    # A reader that does not pass the cells gets no claim about them.
    assert "not recognised" not in str(missing_columns(["units"], "S", 2))


def test_describe_needed_columns_uses_the_users_words(tmp_path: Path) -> None:
    text = describe_needed_columns()
    assert text.startswith("Time (sold_at), Product (product), Seller (seller), Unit Price "
                           "(unit_price), Units (units), Total Price (total_price) and optionally "
                           "Shipping Company (shipping_company) (")
    assert "`salesops columns`" in text
    path = tmp_path / "column_map.toml"
    assert str(path) in describe_needed_columns(load_column_map(path, explicit=False))


# ---- settings, CLI, start-up -------------------------------------------------------------------


def test_settings_locate_the_column_map(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SALESOPS_COLUMN_MAP", raising=False)
    assert Settings().column_map_location() == (PROJECT_ROOT / "column_map.toml", False)
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", "")
    assert Settings().column_map_location() == (PROJECT_ROOT / "column_map.toml", False)
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", str(tmp_path / "m.toml"))
    assert Settings().column_map_location() == (tmp_path / "m.toml", True)


def test_the_stack_passes_the_map_as_an_absolute_path(monkeypatch, tmp_path: Path) -> None:
    from salesops_pipeline.cli.up import stack_environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/salesops")
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", "maps/m.toml")
    assert stack_environment(Settings())["SALESOPS_COLUMN_MAP"] == str(tmp_path / "maps/m.toml")


def test_up_refuses_to_start_with_a_bad_map(monkeypatch, tmp_path: Path) -> None:
    from salesops_pipeline.cli.up import run_stack

    # Unreachable server: without the check, start-up would fail later with another message.
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/salesops")
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", str(write_map(tmp_path, '[columns]\nunit = []\n')))
    with pytest.raises(ConfigError, match="unknown column 'unit' \\(did you mean units\\?\\)"):
        run_stack(Settings())


def test_columns_verb_prints_spellings_and_their_origin(monkeypatch, capsys,
                                                        tmp_path: Path) -> None:
    path = write_map(tmp_path, '[columns]\nsold_at = ["Verkaufszeit", "Booked on"]\n',
                     name="mine.toml")
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", str(path))
    assert main(["columns"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"column map file: {path} (SALESOPS_COLUMN_MAP; read)"
    start = lines.index("Time (sold_at), required")
    assert lines[start + 1] == "  built-in: " + ", ".join(("sold_at", *ALIASES["sold_at"]))
    assert lines[start + 2] == "  mine.toml: Verkaufszeit, Booked on"
    assert "Shipping Company (shipping_company), optional" in lines
    assert sum(line.startswith("  built-in: ") for line in lines) == len(CANONICAL_ORDER)
    assert sum(line.startswith("  mine.toml: ") for line in lines) == 1
    assert lines[-1] == ("Date order of numeric text dates (11/01/2026) when a file's own values "
                         "do not decide it: SALESOPS_DATE_ORDER=auto")


def test_columns_verb_shows_the_date_order(monkeypatch, capsys, tmp_path: Path) -> None:
    path = write_map(tmp_path, '[date_order]\n"us/*" = "mdy"\n', name="mine.toml")
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", str(path))
    monkeypatch.setenv("SALESOPS_DATE_ORDER", " DMY ")
    assert main(["columns"]) == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "Date order of numeric text dates (11/01/2026) when a file's own values do not decide "
        "it: SALESOPS_DATE_ORDER=dmy", "  mine.toml [date_order], first match wins:",
        "    'us/*' = mdy"]


def test_columns_verb_exits_1_with_the_message(tmp_path: Path) -> None:
    path = write_map(tmp_path, '[columns]\nunits = ["Total"]\n')
    env = {**os.environ, "SALESOPS_COLUMN_MAP": str(path)}
    done = subprocess.run([sys.executable, "-m", "salesops_pipeline.cli", "columns"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == (
        f"error: column map {path}: 1 problem: (1) 'Total' is claimed by total_price (built-in) "
        "and units (column_map.toml): built-in spellings stay, so remove it from units")


def test_columns_verb_lists_the_parts_of_a_split_sale_time(monkeypatch, capsys,
                                                           tmp_path: Path) -> None:
    path = write_map(tmp_path, '[columns]\nsold_at_date = ["Belegdatum"]\n'
                               'sold_at_time = ["Belegzeit"]\n', name="mine.toml")
    monkeypatch.setenv("SALESOPS_COLUMN_MAP", str(path))
    assert main(["columns"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("A sale time in two columns (one date column and one time column; "
                        "either alone is the whole sale time):")
    assert lines[start + 1:start + 5] == [
        "  sold_at_date: date, datum, sale date, order date, sold on",
        "    mine.toml: Belegdatum",
        "  sold_at_time: time, uhrzeit, sale time, order time",
        "    mine.toml: Belegzeit"]
