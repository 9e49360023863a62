// A bare Bluesky PDS with its own in-memory PLC directory, on loopback.
//
//   node pds.mjs [--pds-port N] [--plc-port N] [--data DIR]
//
// Prints one line `READY {"pds": "http://localhost:N", "plc": "http://localhost:N"}`
// on stdout when both answer, and stops on SIGTERM or SIGINT. Without --data the
// accounts live in a temporary directory that is removed on exit. Serves the
// com.atproto.* API only: there is no AppView, so app.bsky.* calls are refused.
import './loopback.mjs'

import { mkdtempSync, rmSync, mkdirSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'

import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds'
import * as plc from '@did-plc/server'

const { values } = parseArgs({
  options: {
    'pds-port': { type: 'string' },
    'plc-port': { type: 'string' },
    data: { type: 'string' },
  },
})

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const plcPort = Number(values['plc-port'] ?? (await freePort()))
const pdsPort = Number(values['pds-port'] ?? (await freePort()))
const temporary = values.data === undefined
const dataDir = temporary
  ? mkdtempSync(path.join(os.tmpdir(), 'roost-bluesky-'))
  : path.resolve(values.data)
mkdirSync(path.join(dataDir, 'blobs'), { recursive: true })

const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: plcPort })
await plcServer.start()

// DID resolution refuses IP hosts, so the PLC URL names localhost.
const plcUrl = `http://localhost:${plcPort}`
const env = readEnv()
Object.assign(env, {
  hostname: 'localhost',
  port: pdsPort,
  devMode: true,
  didPlcUrl: plcUrl,
  inviteRequired: false,
  serviceHandleDomains: ['.test'],
  rateLimitsEnabled: false,
  jwtSecret: randomBytes(32).toString('hex'),
  adminPassword: randomBytes(16).toString('hex'),
  // Any 32 random bytes are a valid secp256k1 private key, but for odds of 2^-128.
  plcRotationKeyK256PrivateKeyHex: randomBytes(32).toString('hex'),
  dataDirectory: dataDir,
  blobstoreDiskLocation: path.join(dataDir, 'blobs'),
})
// No crawlers and no AppView: this PDS talks to nothing but its PLC.
delete env.crawlers
delete env.bskyAppViewUrl
delete env.bskyAppViewDid

const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.start()

const pdsUrl = `http://localhost:${pdsPort}`
process.stdout.write(`READY ${JSON.stringify({ pds: pdsUrl, plc: plcUrl })}\n`)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try {
    await pds.destroy()
    await plcServer.destroy()
  } finally {
    if (temporary) rmSync(dataDir, { recursive: true, force: true })
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
