// Make every server in this process listen on 127.0.0.1 only.
//
// The PDS and the PLC directory listen on all interfaces by default; a test peer
// must not be reachable from the network. Load this first, with
// `node --import ./loopback.mjs ...` or as the first import of a script.
import net from 'node:net'

const LOOPBACK = '127.0.0.1'
const PATCHED = Symbol.for('roost.loopback')

function loopbackArgs(args) {
  const [first, ...rest] = args
  const callback = typeof args.at(-1) === 'function' ? args.at(-1) : undefined
  const tail = callback ? [callback] : []
  if (first === undefined || typeof first === 'function') {
    return [{ port: 0, host: LOOPBACK }, ...tail]
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback]): the host, if any, is replaced.
    const options = { port: Number(first), host: LOOPBACK }
    const backlog = rest.find((arg) => typeof arg === 'number')
    if (backlog !== undefined) options.backlog = backlog
    return [options, ...tail]
  }
  if (typeof first === 'object' && first !== null && first.path === undefined && !first._handle && first.fd === undefined) {
    return [{ ...first, host: LOOPBACK }, ...rest]
  }
  // A Unix socket path or an inherited handle: nothing to bind.
  return args
}

if (!net.Server.prototype[PATCHED]) {
  const listen = net.Server.prototype.listen
  net.Server.prototype.listen = function (...args) {
    return listen.apply(this, loopbackArgs(args))
  }
  net.Server.prototype[PATCHED] = true
}
