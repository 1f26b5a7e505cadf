// Stands in for an OpenTelemetry collector: takes OTLP traces over HTTP (`POST /v1/traces`,
// http/protobuf, as postpay's processes export them) and over gRPC (TraceService/Export, as
// restate-server's `tracing-endpoint` exports them), decodes them with protobufjs and OTLP's own
// message layout (otlp/trace.proto), and keeps every span, flattened, for tests to read.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";

export type ReceivedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** The exporting process's `service.name` (resource attribute). */
  service: string;
  scope: string;
  attributes: Record<string, unknown>;
  startNs: bigint;
  endNs: bigint;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** How it arrived. */
  via: "http" | "grpc";
};

export type OtlpReceiver = {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporters add /v1/traces). */
  httpUrl: string;
  /** For restate-server's tracing-endpoint (OTLP gRPC). */
  grpcUrl: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
};

const root = protobuf.loadSync(fileURLToPath(new URL("./otlp/trace.proto", import.meta.url)));
const Request = root.lookupType("otlp.ExportTraceServiceRequest");
const Response = root.lookupType("otlp.ExportTraceServiceResponse");
const EMPTY_RESPONSE = Buffer.from(Response.encode(Response.create({})).finish());

type AnyValue = Record<string, unknown>;
type KeyValue = { key: string; value?: AnyValue };
type Decoded = {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[];
  }[];
};

const hex = (bytes: unknown) => (bytes instanceof Uint8Array ? Buffer.from(bytes).toString("hex") : "");
const long = (v: unknown) => BigInt(String(v ?? 0));

function anyValue(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) return Number(long(v.intValue));
  if ("doubleValue" in v) return v.doubleValue;
  if ("arrayValue" in v) return ((v.arrayValue as { values?: AnyValue[] }).values ?? []).map(anyValue);
  return undefined;
}
const attributesOf = (list: KeyValue[] = []) => Object.fromEntries(list.map((kv) => [kv.key, anyValue(kv.value)]));

/** The spans of one OTLP ExportTraceServiceRequest, flattened. */
export function decodeSpans(body: Uint8Array, via: ReceivedSpan["via"]): ReceivedSpan[] {
  const request = Request.toObject(Request.decode(body), { longs: String }) as Decoded;
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)["service.name"] ?? "");
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        traceId: hex(s.traceId),
        spanId: hex(s.spanId),
        parentSpanId: hex(s.parentSpanId),
        name: String(s.name ?? ""),
        service,
        scope: ss.scope?.name ?? "",
        attributes: attributesOf(s.attributes as KeyValue[]),
        startNs: long(s.startTimeUnixNano),
        endNs: long(s.endTimeUnixNano),
        statusCode: (s.status as { code?: number } | undefined)?.code ?? 0,
        via,
      })),
    );
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") return void res.writeHead(404).end();
      if (!String(req.headers["content-type"]).startsWith("application/x-protobuf"))
        return void res.writeHead(415).end();
      try {
        spans.push(...decodeSpans(Buffer.concat(chunks), "http"));
      } catch {
        return void res.writeHead(400).end();
      }
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end(EMPTY_RESPONSE);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const grpcServer = new grpc.Server();
  grpcServer.addService(
    {
      Export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        try {
          spans.push(...decodeSpans(call.request, "grpc"));
          callback(null, EMPTY_RESPONSE);
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
        }
      },
    },
  );
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );

  return {
    httpUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    spans,
    close: async () => {
      grpcServer.forceShutdown();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
