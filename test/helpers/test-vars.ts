// Secrets and settings every test host runs with. Test-only values.

export const TEST_VARS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789',
  WEBHOOK_SECRET: 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5',
  ALLOWED_ORIGINS: 'https://app.example',
  HEARTBEAT_SECONDS: '1',
  SSE_RETRY_MS: '200',
  DEMO_ENABLED: 'true',
} as const;
