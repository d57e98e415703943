#!/usr/bin/env python3
"""Checks one --json document of l3nft against the layout that l3nft(8)
documents (JSON OUTPUT, schema 1): every key present, with its type (None
where the man page says null is allowed), no key left undocumented.

    l3nft status --json FILE | python3 tests/json_check.py status
    l3nft listeners --json   | python3 tests/json_check.py listeners
    l3nft diff --json FILE   | python3 tests/json_check.py diff   (apply --json: apply)

Prints "ok" or the first difference; exits 0 or 1.
"""
import json
import sys

INT, STR, BOOL, NULL = int, str, bool, type(None)

COUNTER = {"packets": (INT,), "bytes": (INT,)}
SCHEMAS = {
    "status": {
        "schema": (INT,), "table": (STR,), "table_loaded": (BOOL,),
        "l3nftd_running": (BOOL,),
        "socket_layer": ({"mode": (STR,), "attached": (BOOL,), "programs": (INT,),
                          "cgroup_id": (INT, NULL)},),
        "namespaces": ([{
            "namespace": (STR,), "id": (INT,), "mark": (STR,),
            "cgroup": ({
                "path": (STR,), "exists": (BOOL,), "id": (INT, NULL),
                "processes": (INT, NULL), "table_id": (INT, NULL), "stale": (BOOL,),
            },),
            "addresses": ([{
                "address": (STR,), "interface": (STR, NULL), "present": (BOOL,),
                "added_by_l3nft": (BOOL,), "adopted": (BOOL,),
            }],),
            "counters": ({"egress": (COUNTER, NULL), "accepted": (COUNTER, NULL),
                          "refused": (COUNTER, NULL)},),
            "socket_layer": ({"binds_rewritten": (INT,), "binds_refused": (INT,),
                              "sources_filled": (INT,), "sends_refused": (INT,),
                              "ingress_dropped": (INT,), "steered": (INT,)}, NULL),
            "listen": ([STR],),
        }],),
    },
    "diff": {
        "schema": (INT,), "table": (STR,), "changed": (BOOL,), "applied": (BOOL,),
        "table_exists": (BOOL,), "replace": (BOOL,), "reason": (STR, NULL),
        "namespaces": ([{
            "namespace": (STR,), "change": (STR,), "addresses_added": ([STR],),
            "addresses_removed": ([STR],), "listen_added": ([STR],),
            "expose_added": ([STR],), "expose_removed": ([STR],),
            "cgroup_id": ({"old": (INT, NULL), "new": (INT, NULL)}, NULL),
            "rules_changed": (BOOL,),
        }],),
        "listen_removed": ([STR],),
        "table_changes": ({
            "elements_added": (INT,), "elements_removed": (INT,), "chains_added": (INT,),
            "chains_removed": (INT,), "chains_refilled": (INT,), "counters_added": (INT,),
            "counters_removed": (INT,),
        },),
        "host_addresses": ({"added": ([STR],), "removed": ([STR],)},),
    },
    "listeners": {
        "schema": (INT,),
        "listeners": ([{"namespace": (STR,), "listen": (STR,), "dynamic": (BOOL,)}],),
    },
}


SCHEMAS["apply"] = SCHEMAS["diff"]


def check(value, spec, path):
    """Returns None, or what is wrong at path."""
    if isinstance(spec, tuple):
        errors = [check(value, s, path) for s in spec]
        return None if None in errors else errors[0]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return "%s: expected an object" % path
        if set(value) != set(spec):
            return "%s: keys %s, documented %s" % (path, sorted(value), sorted(spec))
        for key, sub in spec.items():
            err = check(value[key], sub, path + "." + key)
            if err:
                return err
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return "%s: expected an array" % path
        for i, item in enumerate(value):
            err = check(item, spec[0], "%s[%d]" % (path, i))
            if err:
                return err
        return None
    if spec is INT and isinstance(value, bool):
        return "%s: expected a number, got %r" % (path, value)
    if not isinstance(value, spec):
        return "%s: expected %s, got %r" % (path, spec.__name__, value)
    return None


def main():
    kind = sys.argv[1]
    text = sys.stdin.read()
    if text.count("\n") != 1 or not text.endswith("\n"):
        print("not one line")
        return 1
    doc = json.loads(text)
    err = check(doc, SCHEMAS[kind], kind)
    if not err and doc["schema"] != 1:
        err = "schema is %r, not 1" % doc["schema"]
    print(err or "ok")
    return 1 if err else 0


if __name__ == "__main__":
    sys.exit(main())
