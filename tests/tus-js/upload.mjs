// Uploads one file to verdant-server with an unmodified tus-js-client, as a mobile or web team
// would, and resumes after every dropped connection. Run by the test suite:
//
//   node upload.mjs <endpoint> <bearer-token> <file> <sha256> <photo-id>
//
// The server's CA comes from NODE_EXTRA_CA_CERTS. Prints {"url", "bytes"} on success; exits 1
// with the error on failure.
import dns from "node:dns";
import fs from "node:fs";
import * as tus from "tus-js-client";

// The test certificate names "localhost"; the server listens on 127.0.0.1 only.
dns.setDefaultResultOrder("ipv4first");

const [endpoint, token, file, sha256, photoId] = process.argv.slice(2);
const bytes = fs.readFileSync(file);

const upload = new tus.Upload(bytes, {
  endpoint,
  headers: { Authorization: `Bearer ${token}` },
  metadata: { sha256, photo_id: photoId, filetype: "image/jpeg", filename: "evidence.jpg" },
  uploadSize: bytes.length,
  retryDelays: [0, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
    1000, 1000, 1000, 1000, 1000],
  onError(error) {
    console.error(String(error));
    process.exit(1);
  },
  onSuccess() {
    console.log(JSON.stringify({ url: upload.url, bytes: bytes.length }));
  },
});
upload.start();
