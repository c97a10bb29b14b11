#!/usr/bin/env python3
"""Read and write etcd keys for the automatic-tinc system tests, through the v2 keys API or the
v3 JSON gateway of etcd 3.4, with the Python standard library only.

    etcd_kv.py --endpoint URL --api v2|v3 get KEY          print the value; exit 1 if the key is missing
    etcd_kv.py --endpoint URL --api v2|v3 list PREFIX      print "KEY<TAB>VALUE" per key under PREFIX,
                                                           with newlines in VALUE written as \\n
    etcd_kv.py --endpoint URL --api v2|v3 put KEY VALUE    VALUE "-" reads the value from stdin
    etcd_kv.py --endpoint URL --api v2|v3 delete KEY
    etcd_kv.py --endpoint URL --api v2|v3 fill PREFIX COUNT
                                                           put PREFIX/0 .. PREFIX/COUNT-1 over one
                                                           connection, one write per key

A v2 PREFIX or KEY is the key path, e.g. /tinc-vpn.org/automatic-tinc/configs. A v3 prefix is
matched as a string prefix, so "PREFIX/" is what selects the keys below it.
"""

import argparse
import base64
import http.client
import json
import sys
import urllib.parse


class EtcdError(Exception):
    pass


class Client:
    def __init__(self, endpoint):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme != "http" or not url.hostname:
            raise EtcdError(f"invalid endpoint {endpoint!r}: expected http://HOST:PORT")
        self.connection = http.client.HTTPConnection(url.hostname, url.port or 2379, timeout=10)

    def request(self, method, path, body=None, headers=None):
        """Sends one request on the kept-alive connection; returns (status, decoded JSON)."""
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        try:
            document = json.loads(data) if data else {}
        except ValueError:
            raise EtcdError(f"{method} {path}: status {response.status}, not JSON: {data[:200]!r}")
        return response.status, document


class V2(Client):
    """The v2 keys API: /v2/keys/KEY, values as form fields, directories as nested nodes."""

    def path(self, key):
        return "/v2/keys" + urllib.parse.quote(key)

    def get(self, key):
        status, document = self.request("GET", self.path(key))
        if status == 404:
            return None
        if status != 200:
            raise EtcdError(f"GET {key}: status {status}: {document}")
        return document["node"].get("value")

    def list(self, prefix):
        status, document = self.request("GET", self.path(prefix) + "?recursive=true")
        if status == 404:
            return []
        if status != 200:
            raise EtcdError(f"GET {prefix}?recursive=true: status {status}: {document}")
        pairs = []
        pending = [document["node"]]
        while pending:
            node = pending.pop()
            if node.get("dir"):
                pending.extend(node.get("nodes", []))
            else:
                pairs.append((node["key"], node.get("value", "")))
        return sorted(pairs)

    def put(self, key, value):
        body = urllib.parse.urlencode({"value": value})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, document = self.request("PUT", self.path(key), body, headers)
        if status not in (200, 201):
            raise EtcdError(f"PUT {key}: status {status}: {document}")

    def delete(self, key):
        status, document = self.request("DELETE", self.path(key))
        if status not in (200, 404):
            raise EtcdError(f"DELETE {key}: status {status}: {document}")


def b64(text):
    return base64.b64encode(text.encode()).decode()


def unb64(text):
    return base64.b64decode(text).decode(errors="replace")


class V3(Client):
    """The v3 API through etcd's JSON gateway: keys and values are base64 in JSON bodies."""

    def call(self, method, payload):
        status, document = self.request("POST", "/v3/kv/" + method, json.dumps(payload))
        if status != 200:
            raise EtcdError(f"v3 {method} {payload}: status {status}: {document}")
        return document

    def get(self, key):
        document = self.call("range", {"key": b64(key)})
        kvs = document.get("kvs", [])
        return unb64(kvs[0].get("value", "")) if kvs else None

    def list(self, prefix):
        # The range end is the prefix with its last byte incremented: every key that starts
        # with the prefix sorts below it.
        raw = prefix.encode()
        range_end = raw[:-1] + bytes([raw[-1] + 1])
        document = self.call("range", {"key": b64(prefix), "range_end": base64.b64encode(range_end).decode()})
        pairs = [(unb64(kv["key"]), unb64(kv.get("value", ""))) for kv in document.get("kvs", [])]
        return sorted(pairs)

    def put(self, key, value):
        self.call("put", {"key": b64(key), "value": b64(value)})

    def delete(self, key):
        self.call("deleterange", {"key": b64(key)})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--api", choices=["v2", "v3"], required=True)
    parser.add_argument("command", choices=["get", "list", "put", "delete", "fill"])
    parser.add_argument("arguments", nargs="*")
    options = parser.parse_args()

    expected = {"get": 1, "list": 1, "put": 2, "delete": 1, "fill": 2}[options.command]
    if len(options.arguments) != expected:
        parser.error(f"{options.command} takes {expected} argument(s), got {len(options.arguments)}")

    client = (V2 if options.api == "v2" else V3)(options.endpoint)
    arguments = options.arguments

    if options.command == "get":
        value = client.get(arguments[0])
        if value is None:
            return 1
        sys.stdout.write(value)
    elif options.command == "list":
        for key, value in client.list(arguments[0]):
            print(key + "\t" + value.replace("\n", "\\n"))
    elif options.command == "put":
        value = sys.stdin.read() if arguments[1] == "-" else arguments[1]
        client.put(arguments[0], value)
    elif options.command == "delete":
        client.delete(arguments[0])
    elif options.command == "fill":
        prefix, count = arguments[0], int(arguments[1])
        for index in range(count):
            client.put(f"{prefix}/{index}", str(index))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (EtcdError, OSError, http.client.HTTPException) as error:
        print(f"etcd_kv.py: {error}", file=sys.stderr)
        sys.exit(2)
