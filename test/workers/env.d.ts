// Types for the bindings the Workers test project sees (wrangler.toml + test vars).

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import('../../src/cloudflare/worker.ts');
    durableNamespaces: 'UserHub';
  }
  interface Env {
    USER_HUB: DurableObjectNamespace<import('../../src/cloudflare/user-hub.ts').UserHub>;
    MAX_CONNECTIONS_PER_USER: string;
    RETENTION_MAX_EVENTS: string;
  }
}
