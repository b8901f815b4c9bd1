/**
 * The gRPC interface of an external KBS plugin, as upstream Trustee defines it (`protos/plugin.proto`,
 * package `kbs.plugin.v1`, service `KbsPlugin`): message schemas for `protobuf.ts` and method paths.
 * Field names and numbers are upstream's; `status_code` is an int32 that we read as uint32 (a negative
 * code would arrive as a huge number and count as an error status either way).
 * @module
 */
import type { MessageSchema } from './protobuf.js';

/** The request fields the three calls share: body, query, path segments after the backend name, method. */
const CALL_FIELDS: MessageSchema['fields'] = [
  { no: 1, name: 'body', type: 'bytes' },
  { no: 2, name: 'query', type: 'map' },
  { no: 3, name: 'path', type: 'string', repeated: true },
  { no: 4, name: 'method', type: 'string' },
];

export const PLUGIN_REQUEST: MessageSchema = { name: 'kbs.plugin.v1.PluginRequest', fields: CALL_FIELDS };
export const VALIDATE_AUTH_REQUEST: MessageSchema = { name: 'kbs.plugin.v1.ValidateAuthRequest', fields: CALL_FIELDS };
export const NEEDS_ENCRYPTION_REQUEST: MessageSchema = { name: 'kbs.plugin.v1.NeedsEncryptionRequest', fields: CALL_FIELDS };

export const PLUGIN_RESPONSE: MessageSchema = {
  name: 'kbs.plugin.v1.PluginResponse',
  fields: [
    { no: 1, name: 'body', type: 'bytes' },
    { no: 2, name: 'status_code', type: 'uint32' },
    { no: 3, name: 'content_type', type: 'string' },
  ],
};
export const VALIDATE_AUTH_RESPONSE: MessageSchema = {
  name: 'kbs.plugin.v1.ValidateAuthResponse',
  fields: [{ no: 1, name: 'requires_admin_auth', type: 'bool' }],
};
export const NEEDS_ENCRYPTION_RESPONSE: MessageSchema = {
  name: 'kbs.plugin.v1.NeedsEncryptionResponse',
  fields: [{ no: 1, name: 'requires_payload_encryption', type: 'bool' }],
};

export const KBS_PLUGIN_METHODS = {
  handle: '/kbs.plugin.v1.KbsPlugin/Handle',
  validateAuth: '/kbs.plugin.v1.KbsPlugin/ValidateAuth',
  needsEncryption: '/kbs.plugin.v1.KbsPlugin/NeedsEncryption',
} as const;
