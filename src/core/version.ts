// The service's version: the npm package's (a unit test holds the two together).
export const SERVICE_VERSION = '0.1.0';
