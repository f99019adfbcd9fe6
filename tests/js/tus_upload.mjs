// Upload one file with tus-js-client (what ownCloud Web uses), driven by tests/clients/test_tus.py.
//
//   node tus_upload.mjs '<json>'
//
// json: {endpoint, user, password, file, filename, mtime?, chunkSize?, abortAt?, uploadUrl?}
//   endpoint   the folder URL the upload is created on (POST)
//   abortAt    abort the upload (drop the connection) once this many bytes were sent
//   uploadUrl  resume this upload (HEAD for the offset, then PATCH) instead of creating one
// Prints one JSON line: {"event": "success"|"aborted"|"error", url, offset, seconds, status?, message?}.
// The server's self-signed certificate needs NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment.

import fs from "node:fs";
import * as tus from "tus-js-client";

const cfg = JSON.parse(process.argv[2]);
const size = fs.statSync(cfg.file).size;
const started = Date.now();
let done = false;

function report(event, extra) {
  if (done) return;
  done = true;
  const out = { event, url: upload.url, seconds: (Date.now() - started) / 1000, ...extra };
  process.stdout.write(JSON.stringify(out) + "\n");
}

const metadata = { filename: cfg.filename, filetype: "application/octet-stream" };
if (cfg.mtime !== undefined) metadata.mtime = String(cfg.mtime);

const upload = new tus.Upload(fs.createReadStream(cfg.file), {
  endpoint: cfg.endpoint,
  uploadUrl: cfg.uploadUrl || null,
  uploadSize: size,
  chunkSize: cfg.chunkSize || Infinity,
  metadata,
  headers: { Authorization: "Basic " + Buffer.from(`${cfg.user}:${cfg.password}`).toString("base64") },
  retryDelays: [],
  storeFingerprintForResuming: false,
  onProgress(sent) {
    if (cfg.abortAt !== undefined && sent >= cfg.abortAt && !done) {
      upload.abort(false).then(() => report("aborted", { offset: sent }));
    }
  },
  onSuccess() {
    report("success", { offset: size });
  },
  onError(err) {
    const res = err.originalResponse;
    report("error", { status: res ? res.getStatus() : null, message: String(err.message || err) });
  },
});

upload.start();
