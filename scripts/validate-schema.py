#!/usr/bin/env python3
"""Validates crashsift's JSON and CSV output against docs/schema/ (JSON Schema 2020-12).

Usage: validate-schema.py [--schemas DIR] FILE...

A .json file holds one document or an array of documents (`analyze --json`); each document names
its schema in its "schema" member ("crashsift.<kind>/<major>.<minor>"), which must equal the
"schema" constant of docs/schema/<kind>.schema.json. A .csv file is a report table: its header
must list the columns of report-csv.schema.json's $defs/<name> in order, and every row must
validate against it. Prints one line per error and exits 1 if there was any; 2 on usage errors.
Needs the `jsonschema` package (scripts/install-deps.sh puts it in the test venv).
"""
import csv
import json
import os
import sys

import jsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def load_schemas(directory):
    schemas = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".schema.json"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                schema = json.load(f)
            Draft202012Validator.check_schema(schema)
            schemas[name[: -len(".schema.json")]] = schema
    return schemas


def registry_of(schemas):
    """Every schema by its $id, so `$ref`s resolve among the files and never over the network."""
    resources = [(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
                 for s in schemas.values()]
    return Registry().with_resources(resources)


REGISTRY = Registry()


def errors_of(schema, instance, where):
    validator = Draft202012Validator(
        schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path)
        yield f"{where}: /{path}: {error.message}"


def check_json(path, schemas):
    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            yield f"{path}: not JSON: {error}"
            return
    documents = data if isinstance(data, list) else [data]
    if not documents:
        yield f"{path}: no documents"
    for index, document in enumerate(documents):
        where = f"{path}[{index}]" if isinstance(data, list) else path
        identifier = document.get("schema") if isinstance(document, dict) else None
        if not isinstance(identifier, str) or not identifier.startswith("crashsift."):
            yield f"{where}: no \"schema\" member naming a crashsift schema"
            continue
        kind = identifier[len("crashsift."):].split("/")[0]
        schema = schemas.get(kind)
        if schema is None:
            yield f"{where}: no docs/schema/{kind}.schema.json for {identifier}"
            continue
        yield from errors_of(schema, document, where)


def check_csv(path, schemas):
    table = os.path.basename(path)[: -len(".csv")]
    definition = schemas.get("report-csv", {}).get("$defs", {}).get(table)
    if definition is None:
        yield f"{path}: no $defs/{table} in report-csv.schema.json"
        return
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        yield f"{path}: empty (a table has at least its header)"
        return
    columns = list(definition.get("properties", {}))
    if rows[0] != columns:
        yield f"{path}: header {rows[0]} != schema columns {columns}"
        return
    schema = dict(schemas["report-csv"])
    schema["$ref"] = f"#/$defs/{table}"
    for number, row in enumerate(rows[1:], start=2):
        yield from errors_of(schema, dict(zip(rows[0], row)), f"{path}:{number}")


def main(argv):
    directory = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "schema")
    if len(argv) >= 2 and argv[0] == "--schemas":
        directory, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        schemas = load_schemas(directory)
        global REGISTRY
        REGISTRY = registry_of(schemas)
    except (jsonschema.SchemaError, KeyError) as error:
        print(f"invalid schema: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    failed = False
    for path in argv:
        check = check_csv if path.endswith(".csv") else check_json
        for line in check(path, schemas):
            failed = True
            print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
