// A full Bluesky network on loopback: PLC, PDS, AppView, bsync and Ozone from
// @atproto/dev-env, for reading notifications, threads and post counts.
//
//   node network.mjs --postgres postgres://user:pass@127.0.0.1/db --redis 127.0.0.1:6379
//
// Needs PostgreSQL (the services create the schemas appview_<id>, bsync_<id> and
// ozone_<id>; the caller drops them afterwards) and Redis. Prints one line
//   READY {"pds": ..., "appview": ..., "plc": ..., "control": ..., "schemas": [...]}
// and stops on SIGTERM or SIGINT.
//
// The AppView indexes asynchronously. `POST <control>/process-all` answers once
// everything written so far is indexed; call it between dependent writes (a reply
// indexed before its parent loses its notification) and before reading.
import './loopback.mjs'

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    postgres: { type: 'string', default: process.env.DB_POSTGRES_URL },
    redis: { type: 'string', default: process.env.REDIS_HOST },
  },
})
if (!values.postgres || !values.redis) {
  process.stderr.write('network.mjs: --postgres URL and --redis HOST:PORT are required\n')
  process.exit(2)
}

// Every PDS of the dev network writes into os.tmpdir(): give this run its own.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'roost-bluesky-network-'))
process.env.TMPDIR = scratch
process.env.REDIS_HOST = values.redis

const { TestNetwork } = await import('@atproto/dev-env')

// Schema names may hold letters and underscores only.
const id = `roost_${Array.from(randomBytes(8), (b) => String.fromCharCode(97 + (b % 26))).join('')}`
let network
try {
  network = await TestNetwork.create({ dbPostgresUrl: values.postgres, dbPostgresSchema: id })
} catch (err) {
  rmSync(scratch, { recursive: true, force: true })
  throw err
}

let queue = Promise.resolve()
const control = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/process-all') {
    res.writeHead(404).end()
    return
  }
  // One processAll at a time: they share the subscription cursors.
  queue = queue.then(async () => {
    try {
      await network.processAll()
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err}\n`)
    }
  })
})
await new Promise((resolve) => control.listen(0, resolve))

const ready = {
  pds: network.pds.url,
  appview: network.bsky.url,
  plc: network.plc.url,
  control: `http://127.0.0.1:${control.address().port}`,
  schemas: [`appview_${id}`, `bsync_${id}`, `ozone_${id}`],
}
process.stdout.write(`READY ${JSON.stringify(ready)}\n`)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try {
    control.close()
    await network.close()
  } finally {
    rmSync(scratch, { recursive: true, force: true })
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
