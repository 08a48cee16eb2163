// The real `fazt` binary (FAZT_BIN) for the browser tests: a fresh database in a temporary
// folder, `server init` with a password, `server start` on a free loopback port.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class FaztServer {
  constructor(password) {
    this.password = password;
    this.dir = mkdtempSync(path.join(tmpdir(), 'fazt-web-'));
    this.db = path.join(this.dir, 'fazt.db');
    this.output = '';
  }

  run(...args) {
    return execFileSync(process.env.FAZT_BIN, args, { encoding: 'utf8', env: this.env() });
  }

  env() {
    return { ...process.env, FAZT_TEMP_DIR: this.dir };
  }

  async start() {
    const passwordFile = path.join(this.dir, 'password');
    writeFileSync(passwordFile, this.password + '\n');
    this.run('server', 'init', '--domain', 'localhost', '--db', this.db, '--password-file', passwordFile);
    this.process = spawn(process.env.FAZT_BIN,
      ['server', 'start', '--db', this.db, '--port', '0', '--listen', '127.0.0.1'],
      { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stderr.on('data', (d) => { this.output += d; });
    this.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fazt did not start:\n' + this.output)), 30000);
      this.process.stdout.on('data', (d) => {
        this.output += d;
        const m = /http:\/\/[^:/ ]+:(\d+)\//.exec(this.output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      this.process.on('exit', (code) => reject(new Error('fazt exited with ' + code + ':\n' + this.output)));
    });
    return this;
  }

  url(host, pathname = '/') {
    return 'http://' + host + ':' + this.port + pathname;
  }

  // One plain HTTP request to 127.0.0.1 with the given Host; resolves to {status, headers, body}.
  request(host, pathname, { method = 'GET', headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, path: pathname, method, headers: { Host: host + ':' + this.port, ...headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      if (body) req.write(body);
      req.end();
    });
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      const exited = new Promise((resolve) => this.process.on('exit', resolve));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
