#!/usr/bin/python3
"""Validate JSON documents against a schema of the OpenAPI spec's components/schemas.

An independent check (Debian's python3-jsonschema) of the JSON ascpp sends and receives.

  validate.py SPEC SCHEMA FILE [--strict]   one document; problems on stdout, exit 1 if any
  validate.py SPEC --serve                  one request per stdin line, one answer per line:
      in:  {"schema": "BackgroundAssetResponse", "document": {...}, "strict": false}
      out: {"problems": ["data.attributes.fileSize: 'x' is not of type 'integer'", ...]}
  validate.py SPEC --list                   the schema names

The spec is OpenAPI 3.0: `nullable: true` becomes a union with null, `discriminator`,
`deprecated` and OpenAPI-only keywords are dropped, and `format` is not checked (Apple's
"uri-reference" and "date-time" values are not always strict). With strict, objects that
declare properties reject members they do not declare (used for the bodies ascpp builds).
"""
import copy
import json
import sys

import jsonschema

OPENAPI_ONLY = {"discriminator", "deprecated", "example", "xml", "externalDocs", "readOnly",
                "writeOnly", "nullable"}


def convert(node, strict):
    if isinstance(node, list):
        return [convert(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: convert(v, strict) for k, v in node.items() if k not in OPENAPI_ONLY}
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        # A $ref with siblings is its own schema in draft 7, so wrap instead of editing types.
        out = {"anyOf": [out, {"type": "null"}]}
    return out


class Validators:
    def __init__(self, spec_path):
        with open(spec_path, encoding="utf-8") as f:
            spec = json.load(f)
        self.schemas = spec["components"]["schemas"]
        self.cache = {}

    def get(self, name, strict):
        key = (name, strict)
        if key not in self.cache:
            if name not in self.schemas:
                raise KeyError(f"no schema named {name!r} in components/schemas")
            root = {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "$ref": f"#/components/schemas/{name}",
                "components": {"schemas": convert(copy.deepcopy(self.schemas), strict)},
            }
            jsonschema.Draft7Validator.check_schema(root)
            self.cache[key] = jsonschema.Draft7Validator(root)
        return self.cache[key]

    def problems(self, name, document, strict=False):
        validator = self.get(name, strict)
        out = []
        for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
            where = where.lstrip(".") or "(root)"
            message = err.message
            if err.context:  # oneOf/anyOf: say why each branch failed, briefly
                reasons = sorted({c.message for c in err.context})[:4]
                message += " (" + "; ".join(reasons) + ")"
            out.append(f"{where}: {message[:500]}")
        return out


def serve(validators):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            answer = {"problems": validators.problems(request["schema"], request["document"],
                                                      bool(request.get("strict", False)))}
        except Exception as e:  # a bad request must not kill the long-lived process
            answer = {"problems": [f"validator: {type(e).__name__}: {e}"]}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main(argv):
    if len(argv) >= 3 and argv[2] == "--serve":
        serve(Validators(argv[1]))
        return 0
    if len(argv) >= 3 and argv[2] == "--list":
        print("\n".join(sorted(Validators(argv[1]).schemas)))
        return 0
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[3], encoding="utf-8") as f:
        document = json.load(f)
    problems = Validators(argv[1]).problems(argv[2], document, "--strict" in argv[4:])
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
