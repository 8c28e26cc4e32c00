#!/usr/bin/env python3
"""A tiny CRI v1 client: gRPC over a unix socket, our own .proto subset (proto/api.proto).

The Python bindings are generated at run time with grpcio-tools into GEN_DIR (nothing
generated is committed). As a library:

    cri = client.connect("/path/containerd.sock", gen_dir)
    cri.call("RunPodSandbox", config={...}, runtime_handler="petrel")  # dicts or messages

As a command (prints the response as JSON):

    client.py --socket SOCK --gen DIR Version
    client.py --socket SOCK --gen DIR ListPodSandbox '{"filter": {"id": "..."}}'

Needs grpcio and grpcio-tools (conformance/cri/run installs them into a venv).
"""

import argparse
import importlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "proto")
PROTO = "api.proto"


def generate(gen_dir):
    """Runs protoc (grpc_tools) on proto/api.proto into gen_dir unless it is up to date."""
    out = os.path.join(gen_dir, "api_pb2.py")
    src = os.path.join(PROTO_DIR, PROTO)
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        from grpc_tools import protoc
        os.makedirs(gen_dir, exist_ok=True)
        rc = protoc.main(["protoc", "-I" + PROTO_DIR, "--python_out=" + gen_dir,
                          "--grpc_python_out=" + gen_dir, src])
        if rc != 0:
            raise RuntimeError("protoc failed on %s (status %d)" % (src, rc))
    if gen_dir not in sys.path:
        sys.path.insert(0, gen_dir)
    return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


class Client:
    """RuntimeService and ImageService on one channel; call() finds the method by name."""

    def __init__(self, socket_path, gen_dir, timeout=60):
        import grpc
        self.grpc = grpc
        self.pb, pb_grpc = generate(gen_dir)
        self.channel = grpc.insecure_channel("unix://" + socket_path)
        self.runtime = pb_grpc.RuntimeServiceStub(self.channel)
        self.image = pb_grpc.ImageServiceStub(self.channel)
        self.timeout = timeout

    def request_type(self, method):
        for service in ("RuntimeService", "ImageService"):
            desc = self.pb.DESCRIPTOR.services_by_name[service]
            m = desc.methods_by_name.get(method)
            if m is not None:
                return service, getattr(self.pb, m.input_type.name)
        raise KeyError("unknown CRI method %s" % method)

    def call(self, method, request=None, deadline=None, **fields):
        """Calls METHOD with a request message, a dict (JSON field names or proto names)
        or keyword fields; returns the response message; raises grpc.RpcError. DEADLINE is
        the gRPC call's, in seconds (`timeout` is a field of some requests)."""
        from google.protobuf import json_format
        service, req_type = self.request_type(method)
        if request is None:
            request = fields
        if isinstance(request, dict):
            request = json_format.ParseDict(request, req_type())
        stub = self.runtime if service == "RuntimeService" else self.image
        return getattr(stub, method)(request, timeout=deadline or self.timeout)

    def close(self):
        self.channel.close()


def connect(socket_path, gen_dir, timeout=60):
    return Client(socket_path, gen_dir, timeout)


def main():
    p = argparse.ArgumentParser(description="Call one CRI v1 method and print the response as JSON.")
    p.add_argument("--socket", required=True, help="the CRI gRPC unix socket (containerd's address)")
    p.add_argument("--gen", default=os.environ.get("CRI_GEN_DIR", "/tmp/petrel-cri-gen"),
                   help="where the generated Python bindings go (default $CRI_GEN_DIR)")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("method", help="e.g. Version, RunPodSandbox, ExecSync, ListImages")
    p.add_argument("request", nargs="?", default="{}", help="the request as JSON")
    a = p.parse_args()
    from google.protobuf import json_format
    cri = connect(a.socket, a.gen, a.timeout)
    try:
        resp = cri.call(a.method, json.loads(a.request))
    except cri.grpc.RpcError as e:
        print("%s: %s: %s" % (a.method, e.code().name, e.details()), file=sys.stderr)
        return 1
    print(json_format.MessageToJson(resp, preserving_proto_field_name=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
