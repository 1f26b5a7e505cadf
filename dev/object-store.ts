// A local S3-compatible object store, just enough for restate-server's partition snapshots:
// the snapshot repository of restate-server 1.7 speaks only `s3://` (its `file://` support is
// compiled out of the release binaries), so a local cluster needs something that answers like S3.
// Objects are plain files under `dir` (`<dir>/<bucket>/<key>`), on loopback. Path-style requests:
// PUT/GET/HEAD/DELETE of objects (with If-None-Match / If-Match, which restate uses to move its
// `latest.json` pointer), ListObjectsV2, and multipart uploads (snapshot files of 5 MiB and more).
// Request signatures are not checked: it listens on 127.0.0.1 only, like every stand-in here.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export type ObjectStore = { url: string; port: number; dir: string; close(): Promise<void> };

export async function startObjectStore({ dir, port = 0 }: { dir: string; port?: number }): Promise<ObjectStore> {
  await mkdir(dir, { recursive: true });
  const uploads = path.join(dir, ".uploads");
  const server = http.createServer((req, res) => {
    handle(dir, uploads, req, res).catch((err: Error) => reply(res, 500, error("InternalError", err.message)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    dir,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(dir: string, uploads: string, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? "/", "http://local");
  const [bucket, ...rest] = url.pathname.slice(1).split("/").map(decodeURIComponent);
  const key = rest.join("/");
  if (!bucket || bucket.startsWith(".") || key.split("/").includes(".."))
    return reply(res, 400, error("InvalidRequest", "bad path"));
  const file = path.join(dir, bucket, key);
  const q = url.searchParams;

  if (!key) {
    if (req.method === "GET")
      return reply(res, 200, await list(path.join(dir, bucket), q.get("prefix") ?? "", q.get("delimiter")));
    if (req.method === "PUT" || req.method === "HEAD") return reply(res, 200, "");
    return reply(res, 405, error("MethodNotAllowed", req.method ?? ""));
  }
  if (req.method === "POST" && q.has("uploads")) {
    const id = randomUUID();
    await mkdir(path.join(uploads, id), { recursive: true });
    return reply(
      res,
      200,
      xml(
        "InitiateMultipartUploadResult",
        `<Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${id}</UploadId>`,
      ),
    );
  }
  const uploadId = q.get("uploadId");
  if (uploadId !== null && !/^[0-9a-f-]{36}$/.test(uploadId)) return reply(res, 404, error("NoSuchUpload", uploadId));
  if (req.method === "PUT" && uploadId) {
    const body = await readBody(req);
    await writeFile(path.join(uploads, uploadId, String(Number(q.get("partNumber")))), body);
    res.setHeader("ETag", etag(body));
    return reply(res, 200, "");
  }
  if (req.method === "POST" && uploadId) {
    const parts = [...(await readBody(req)).toString("utf8").matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
      Number(m[1]),
    );
    const body = Buffer.concat(await Promise.all(parts.map((n) => readFile(path.join(uploads, uploadId, String(n))))));
    const tag = await store(file, body);
    await rm(path.join(uploads, uploadId), { recursive: true, force: true });
    return reply(
      res,
      200,
      xml(
        "CompleteMultipartUploadResult",
        `<Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(tag)}</ETag>`,
      ),
    );
  }
  if (req.method === "DELETE" && uploadId) {
    await rm(path.join(uploads, uploadId), { recursive: true, force: true });
    return reply(res, 204, "");
  }
  if (req.method === "PUT") {
    const body = await readBody(req);
    const current = await readFile(file).catch(() => undefined);
    const ifNoneMatch = req.headers["if-none-match"];
    const ifMatch = req.headers["if-match"];
    if ((ifNoneMatch === "*" && current) || (ifMatch !== undefined && (!current || etag(current) !== ifMatch))) {
      return reply(
        res,
        412,
        error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"),
      );
    }
    res.setHeader("ETag", await store(file, body));
    return reply(res, 200, "");
  }
  if (req.method === "GET" || req.method === "HEAD") {
    const body = await readFile(file).catch(() => undefined);
    if (!body) return reply(res, 404, error("NoSuchKey", "The specified key does not exist."));
    const modified = (await stat(file)).mtime;
    res.setHeader("ETag", etag(body));
    res.setHeader("Last-Modified", modified.toUTCString());
    res.setHeader("Content-Type", "application/octet-stream");
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.setHeader("Content-Range", `bytes ${start}-${end}/${body.length}`);
      return reply(res, 206, req.method === "HEAD" ? "" : body.subarray(start, end + 1));
    }
    res.setHeader("Content-Length", body.length);
    res.writeHead(200);
    return res.end(req.method === "HEAD" ? undefined : body);
  }
  if (req.method === "DELETE") {
    await rm(file, { force: true });
    return reply(res, 204, "");
  }
  return reply(res, 405, error("MethodNotAllowed", req.method ?? ""));
}

/** Written to a temp file and renamed, so a reader never sees half an object. */
async function store(file: string, body: Buffer): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, file);
  return etag(body);
}

/** ListObjectsV2: keys under `prefix`, with common prefixes when a delimiter is given. */
async function list(bucketDir: string, prefix: string, delimiter: string | null): Promise<string> {
  const keys: { key: string; size: number; modified: Date; tag: string }[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(d, entry.name), key);
      else if (!entry.name.endsWith(".tmp") && key.startsWith(prefix)) {
        const full = path.join(d, entry.name);
        const body = await readFile(full);
        keys.push({ key, size: body.length, modified: (await stat(full)).mtime, tag: etag(body) });
      }
    }
  };
  await walk(bucketDir, "");
  keys.sort((a, b) => a.key.localeCompare(b.key));
  const prefixes = new Set<string>();
  const contents: string[] = [];
  for (const k of keys) {
    const cut = delimiter ? k.key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) prefixes.add(k.key.slice(0, cut + delimiter!.length));
    else
      contents.push(
        `<Contents><Key>${esc(k.key)}</Key><LastModified>${k.modified.toISOString()}</LastModified><ETag>${esc(k.tag)}</ETag><Size>${k.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
  }
  const common = [...prefixes].map((p) => `<CommonPrefixes><Prefix>${esc(p)}</Prefix></CommonPrefixes>`).join("");
  return xml(
    "ListBucketResult",
    `<Name>bucket</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join("")}${common}`,
  );
}

const etag = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const xml = (root: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
const error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>`;

function reply(res: http.ServerResponse, status: number, body: string | Buffer) {
  if (res.headersSent) return void res.end();
  if (typeof body === "string" && body.startsWith("<?xml")) res.setHeader("Content-Type", "application/xml");
  res.writeHead(status);
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
