"""Schemathesis hooks for test/e2e/api-fuzz.test.ts (loaded through SCHEMATHESIS_HOOKS).

POST /api/order/{id} and POST /api/product/{id} repeat the id in the body, and the two must be equal (400
id-mismatch otherwise, the original contract). The document says so in words; JSON Schema cannot tie a body field to
a path parameter, so generated requests get the path's id in the body. Mismatches are covered by the API tests.
"""

import schemathesis

SAME_ID_IN_BODY = {("POST", "/api/order/{id}"), ("POST", "/api/product/{id}")}
INT_MAX = 2_147_483_647


def _path_id(value):
    """The path id as an int when it is a valid one (the coverage phase sends path parameters as text)."""
    if type(value) is int:
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 1 <= number <= INT_MAX else None


def _same_id(case):
    operation = case.operation
    if (str(operation.method).upper(), operation.path) not in SAME_ID_IN_BODY:
        return case
    path_id = _path_id((case.path_parameters or {}).get("id"))
    body = case.body
    # Only a valid body id is replaced: a negative case's invalid id must stay invalid.
    if path_id is not None and isinstance(body, dict) and _path_id(body.get("id")) is not None and type(body["id"]) is int:
        body["id"] = path_id
    return case


@schemathesis.hook
def map_case(ctx, case):
    return _same_id(case)


@schemathesis.hook
def before_add_examples(ctx, examples):
    for case in examples:
        _same_id(case)
