// A desktop notification server for the browser tests: what a Linux desktop runs
// (org.freedesktop.Notifications on the D-Bus session bus, the Desktop
// Notifications Specification 1.2), on a private bus of our own. Chromium on Linux
// hands its notifications to such a server when one owns the name, and a click on
// one comes back to it as the server's `ActionInvoked(id, "default")` signal: the
// same path a person's click takes, so the service worker's `notificationclick`
// runs with the user activation `clients.openWindow` requires.
//
// Needs `dbus-daemon` (Debian's dbus-daemon package, installed with Chromium).
// The wire protocol is written out here (little-endian, the few types the
// specification's methods use, any type inside a variant), not taken from a library.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DBUS_DAEMON = '/usr/bin/dbus-daemon';
export const hasDbus = existsSync(DBUS_DAEMON);

export interface DesktopNotification {
  id: number;
  app: string;
  summary: string;
  body: string;
  actions: string[];
}

export interface NotificationServer {
  /** Give this as DBUS_SESSION_BUS_ADDRESS to the browser. */
  address: string;
  /** Notifications shown and not yet closed, oldest first. */
  shown(): DesktopNotification[];
  /** Click a notification, as the desktop does: the browser gets ActionInvoked(id, "default"). */
  click(id: number): void;
  stop(): Promise<void>;
}

export async function startNotificationServer(): Promise<NotificationServer> {
  const dir = mkdtempSync(join(tmpdir(), 'userhub-dbus-'));
  // A bus of our own: no service activation (nothing else starts on it), anyone may talk to anyone.
  writeFileSync(
    join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${join(dir, 'bus')}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*"/><allow receive_sender="*"/><allow own="*"/></policy></busconfig>`,
  );
  const daemon = spawn(DBUS_DAEMON, [`--config-file=${join(dir, 'bus.conf')}`, '--nofork', '--nopidfile', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const address = await firstLine(daemon);
  const bus = await BusConnection.open(join(dir, 'bus'));
  await bus.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello', '', []);
  const [owned] = await bus.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName', 'su', ['org.freedesktop.Notifications', 4]);
  if (owned !== 1) throw new Error(`could not own org.freedesktop.Notifications (${owned})`);

  const open = new Map<number, DesktopNotification>();
  let last = 0;
  const PATH = '/org/freedesktop/Notifications';
  const IFACE = 'org.freedesktop.Notifications';
  const closed = (id: number, reason: number) => {
    if (open.delete(id)) bus.signal(PATH, IFACE, 'NotificationClosed', 'uu', [id, reason]);
  };
  bus.serve((member, args) => {
    switch (member) {
      case 'GetCapabilities':
        return ['as', [['actions', 'body']]];
      case 'GetServerInformation':
        return ['ssss', ['userhub-test', 'userhub', '1', '1.2']];
      case 'Notify': {
        const [app, replaces, , summary, body, actions] = args as [string, number, string, string, string, string[]];
        const id = replaces || ++last;
        open.set(id, { id, app, summary, body, actions });
        return ['u', [id]];
      }
      case 'CloseNotification':
        closed(args[0] as number, 3);
        return ['', []];
      default:
        return undefined;
    }
  });

  return {
    address,
    shown: () => [...open.values()],
    click(id) {
      if (!open.has(id)) throw new Error(`no notification ${id} is shown`);
      bus.signal(PATH, IFACE, 'ActionInvoked', 'us', [id, 'default']);
      closed(id, 2);
    },
    async stop() {
      bus.close();
      daemon.kill();
      await new Promise((resolve) => (daemon.exitCode === null ? daemon.once('exit', resolve) : resolve(null)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')).trim());
    });
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}) before printing its address`)));
  });
}

// --- The D-Bus wire protocol (just what a notification server needs) ---

const Kind = { Call: 1, Return: 2, Error: 3, Signal: 4 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

type Value = number | bigint | boolean | string | Value[] | { signature: string; value: Value };
type Handler = (member: string, args: Value[]) => [signature: string, values: Value[]] | undefined;

interface Message {
  kind: Kind;
  serial: number;
  fields: Map<number, Value>;
  args: Value[];
}

class BusConnection {
  #serial = 0;
  #pending = new Map<number, { resolve(args: Value[]): void; reject(error: Error): void }>();
  #buffer = Buffer.alloc(0);
  #handler: Handler = () => undefined;

  private socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (let message; (message = this.#next()); ) this.#dispatch(message);
    });
  }

  static open(path: string): Promise<BusConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        // SASL: the bus knows our uid from the socket; EXTERNAL proves it.
        const uid = Buffer.from(String(process.getuid!())).toString('hex');
        socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
        socket.once('data', (reply) => {
          if (!reply.toString().startsWith('OK ')) return reject(new Error(`D-Bus authentication refused: ${reply}`));
          socket.write('BEGIN\r\n');
          socket.off('error', reject);
          resolve(new BusConnection(socket));
        });
      });
    });
  }

  serve(handler: Handler) {
    this.#handler = handler;
  }

  call(destination: string, path: string, iface: string, member: string, signature: string, args: Value[]): Promise<Value[]> {
    const serial = this.#send(Kind.Call, { 1: ['o', path], 2: ['s', iface], 3: ['s', member], 6: ['s', destination] }, signature, args);
    return new Promise((resolve, reject) => this.#pending.set(serial, { resolve, reject }));
  }

  signal(path: string, iface: string, member: string, signature: string, args: Value[]) {
    this.#send(Kind.Signal, { 1: ['o', path], 2: ['s', iface], 3: ['s', member] }, signature, args);
  }

  close() {
    this.socket.destroy();
  }

  #dispatch(message: Message) {
    const replyTo = message.fields.get(5) as number | undefined;
    if (message.kind === Kind.Return || message.kind === Kind.Error) {
      const waiter = replyTo === undefined ? undefined : this.#pending.get(replyTo);
      this.#pending.delete(replyTo!);
      if (message.kind === Kind.Return) waiter?.resolve(message.args);
      else waiter?.reject(new Error(`D-Bus error ${message.fields.get(4)}: ${message.args[0] ?? ''}`));
      return;
    }
    if (message.kind !== Kind.Call) return;
    const sender = message.fields.get(7) as string;
    const answer = this.#handler(message.fields.get(3) as string, message.args);
    if (answer) this.#send(Kind.Return, { 5: ['u', message.serial], 6: ['s', sender] }, ...answer);
    else this.#send(Kind.Error, { 4: ['s', 'org.freedesktop.DBus.Error.UnknownMethod'], 5: ['u', message.serial], 6: ['s', sender] }, 's', ['unknown method']);
  }

  #send(kind: Kind, fields: Record<number, [string, Value]>, signature: string, args: Value[]): number {
    const serial = ++this.#serial;
    const body = new Writer();
    body.values(signature, args);
    const header = new Writer();
    const entries: Value[] = Object.entries(fields).map(([code, [sig, value]]) => [Number(code), { signature: sig, value }]);
    if (signature) entries.push([8, { signature: 'g', value: signature }]);
    header.values('yyyyuua(yv)', ['l'.charCodeAt(0), kind, 0, 1, body.length, serial, entries]);
    header.align(8);
    this.socket.write(Buffer.concat([header.bytes(), body.bytes()]));
    return serial;
  }

  #next(): Message | undefined {
    const buffer = this.#buffer;
    if (buffer.length < 16) return undefined;
    const fieldsLength = buffer.readUInt32LE(12);
    const bodyStart = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
    const total = bodyStart + buffer.readUInt32LE(4);
    if (buffer.length < total) return undefined;
    const [, kind, , , , serial, entries] = new Reader(buffer.subarray(0, bodyStart)).values('yyyyuua(yv)') as [number, Kind, number, number, number, number, Value[][]];
    const fields = new Map(entries.map(([code, variant]) => [code as number, (variant as { value: Value }).value]));
    const signature = (fields.get(8) as string | undefined) ?? '';
    const args = new Reader(buffer.subarray(bodyStart, total)).values(signature);
    this.#buffer = buffer.subarray(total);
    return { kind, serial, fields, args };
  }
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, h: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1 };

/** The signatures in a signature string, one complete type each: "sa{sv}" → ["s", "a{sv}"]. */
function splitTypes(signature: string): string[] {
  const types: string[] = [];
  for (let i = 0; i < signature.length; ) {
    const start = i;
    while (signature[i] === 'a') i++;
    if (signature[i] === '(' || signature[i] === '{') {
      const [open, close] = signature[i] === '(' ? ['(', ')'] : ['{', '}'];
      for (let depth = 0; ; i++) {
        if (signature[i] === open) depth++;
        else if (signature[i] === close && --depth === 0) break;
      }
    }
    types.push(signature.slice(start, ++i));
  }
  return types;
}

class Writer {
  #chunks: Buffer[] = [];
  length = 0;

  bytes() {
    return Buffer.concat(this.#chunks);
  }

  align(n: number) {
    const pad = (n - (this.length % n)) % n;
    if (pad) this.#push(Buffer.alloc(pad));
  }

  values(signature: string, values: Value[]) {
    splitTypes(signature).forEach((type, i) => this.value(type, values[i]!));
  }

  value(type: string, value: Value): void {
    this.align(ALIGN[type[0]!]!);
    const number = (size: number, write: (b: Buffer) => void) => {
      const b = Buffer.alloc(size);
      write(b);
      this.#push(b);
    };
    switch (type[0]) {
      case 'y':
        return number(1, (b) => b.writeUInt8(value as number));
      case 'b':
        return number(4, (b) => b.writeUInt32LE(value ? 1 : 0));
      case 'i':
        return number(4, (b) => b.writeInt32LE(value as number));
      case 'u':
        return number(4, (b) => b.writeUInt32LE(value as number));
      case 's':
      case 'o': {
        const text = Buffer.from(value as string);
        number(4, (b) => b.writeUInt32LE(text.length));
        return this.#push(Buffer.concat([text, Buffer.alloc(1)]));
      }
      case 'g': {
        const text = Buffer.from(value as string);
        return this.#push(Buffer.concat([Buffer.from([text.length]), text, Buffer.alloc(1)]));
      }
      case 'v': {
        const variant = value as { signature: string; value: Value };
        this.value('g', variant.signature);
        return this.value(variant.signature, variant.value);
      }
      case '(':
        return this.values(type.slice(1, -1), value as Value[]);
      case 'a': {
        const element = type.slice(1);
        number(4, () => {}); // the length, written once the elements are
        const lengthChunk = this.#chunks.length - 1;
        this.align(ALIGN[element[0]!]!);
        const start = this.length;
        for (const item of value as Value[]) this.value(element, item);
        this.#chunks[lengthChunk]!.writeUInt32LE(this.length - start);
        return;
      }
      default:
        throw new Error(`cannot write D-Bus type ${type}`);
    }
  }

  #push(b: Buffer) {
    this.#chunks.push(b);
    this.length += b.length;
  }
}

class Reader {
  #at = 0;
  private buffer: Buffer;

  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  values(signature: string): Value[] {
    return splitTypes(signature).map((type) => this.value(type));
  }

  #align(type: string): void {
    const n = ALIGN[type[0]!]!;
    this.#at += (n - (this.#at % n)) % n;
  }

  value(type: string): Value {
    this.#align(type);
    const b = this.buffer;
    const take = <T>(size: number, read: (at: number) => T): T => {
      const result = read(this.#at);
      this.#at += size;
      return result;
    };
    switch (type[0]) {
      case 'y':
        return take(1, (at) => b.readUInt8(at));
      case 'b':
        return take(4, (at) => b.readUInt32LE(at) === 1);
      case 'n':
        return take(2, (at) => b.readInt16LE(at));
      case 'q':
        return take(2, (at) => b.readUInt16LE(at));
      case 'i':
        return take(4, (at) => b.readInt32LE(at));
      case 'u':
      case 'h':
        return take(4, (at) => b.readUInt32LE(at));
      case 'x':
        return take(8, (at) => b.readBigInt64LE(at));
      case 't':
        return take(8, (at) => b.readBigUInt64LE(at));
      case 'd':
        return take(8, (at) => b.readDoubleLE(at));
      case 's':
      case 'o': {
        const length = take(4, (at) => b.readUInt32LE(at));
        return take(length + 1, (at) => b.toString('utf8', at, at + length));
      }
      case 'g': {
        const length = take(1, (at) => b.readUInt8(at));
        return take(length + 1, (at) => b.toString('utf8', at, at + length));
      }
      case 'v': {
        const signature = this.value('g') as string;
        return { signature, value: this.value(signature) };
      }
      case '(':
      case '{':
        return this.values(type.slice(1, -1));
      case 'a': {
        const length = this.value('u') as number;
        const element = type.slice(1);
        this.#align(element);
        const end = this.#at + length;
        const items: Value[] = [];
        while (this.#at < end) items.push(this.value(element));
        return items;
      }
      default:
        throw new Error(`cannot read D-Bus type ${type}`);
    }
  }
}
