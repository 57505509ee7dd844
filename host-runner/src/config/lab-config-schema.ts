import type { FieldSpec, Schema } from './config-schema';

const ms = (min: number, max: number): FieldSpec => ({ schema: { kind: 'integer', min, max } });
const str: FieldSpec = { schema: { kind: 'string' } };
const path: FieldSpec = { schema: { kind: 'string', expect: 'a file path' } };
/** A program or directory on the target: absolute, since the agent (root) never looks one up relative to its login dir. */
const targetPath: FieldSpec = { schema: { kind: 'string', pattern: /^\/./, expect: 'an absolute path on the target' } };
const envName: FieldSpec = { schema: { kind: 'string', pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, expect: 'the NAME of an environment variable (the secret itself never goes in the file)', hideValue: true } };
const presence: FieldSpec = { schema: { kind: 'enum', values: ['present', 'absent'] } };

/** A host USB port: sysfs name (`1-2.3`) or udev ID_PATH (`pci-0000:00:14.0-usb-0:2.3`, an interface suffix allowed). */
export const USB_PORT_PATTERN = /^(\d+-\d+(\.\d+)*|[A-Za-z0-9_.:-]+-usb-\d+:\d+(\.\d+)*(:\d+\.\d+)?)$/;

/** Schema of one target; field names are those of {@link TargetConfig} and friends (lab-config.ts). */
export const TARGET_SCHEMA: Schema = {
  kind: 'object',
  fields: {
    transport: {
      required: true,
      schema: {
        kind: 'tagged',
        tag: 'type',
        variants: {
          ssh: {
            host: { required: true, schema: { kind: 'string', pattern: /^[^\s@/]+$/, expect: 'a host name or address (no user@, no spaces)' } },
            port: { schema: { kind: 'integer', min: 1, max: 65535 } },
            user: { schema: { kind: 'string', pattern: /^[^\s@:]+$/, expect: 'a user name' } },
            identity: path,
            passphraseEnv: envName,
            passwordEnv: envName,
            knownHosts: path,
            fingerprint: { schema: { kind: 'string', pattern: /^SHA256:[A-Za-z0-9+/]{43}=?$/, expect: "SHA256:<43 base64 characters>, as 'ssh-keygen -lf' prints it" } },
            acceptUnknownHostKey: { schema: { kind: 'boolean' } },
            acceptNewHostKey: { schema: { kind: 'boolean' } },
            proxyJump: { schema: { kind: 'string', pattern: /^(none|[^\s,]+(,[^\s,]+)*)$/, expect: 'OpenSSH ProxyJump: [user@]host[:port], comma separated, or none' } },
            sshAgent: { schema: { kind: 'boolean' } },
            connectTimeoutMs: ms(100, 600_000),
            commandTimeoutMs: ms(100, 3_600_000),
            keepaliveIntervalMs: ms(0, 600_000),
            keepaliveCountMax: ms(1, 100),
          },
          local: {
            commandTimeoutMs: ms(100, 3_600_000),
          },
        },
      },
    },
    agent: {
      schema: {
        kind: 'object',
        fields: {
          // Normal form (no //, ., .. or trailing /): deploy's further rules apply when it runs.
          installDir: { schema: { kind: 'string', pattern: /^(?:\/(?!\.\.?(?:\/|$))[^/\0-\x1f\x7f]+)+$/, expect: 'an absolute path in normal form on the target (no //, . or .. components, no trailing /)' } },
          node: str,
          command: { schema: { kind: 'array', of: { kind: 'string' }, minItems: 1 } },
        },
      },
    },
    usb: {
      schema: {
        kind: 'object',
        fields: {
          vendorId: { schema: { kind: 'usbId' } },
          productId: { schema: { kind: 'usbId' } },
          serial: str,
          port: { schema: { kind: 'string', pattern: USB_PORT_PATTERN, expect: "a USB port: the sysfs name (1-2.3) or udev's ID_PATH (pci-0000:00:14.0-usb-0:2.3)" } },
          enumerateTimeoutMs: ms(100, 600_000),
        },
      },
    },
    udc: str,
    directIoDir: targetPath,
    features: { schema: { kind: 'object', fields: { mmap: presence, dmabuf: presence } } },
    tools: {
      schema: {
        kind: 'object',
        fields: { dir: targetPath, ffsTest: targetPath, testusb: targetPath, ffsFeatures: targetPath, aioSimple: targetPath, aioMultibuff: targetPath },
      },
    },
  },
};

/** Schema of a whole lab config file. */
export const LAB_CONFIG_SCHEMA: Schema = {
  kind: 'object',
  fields: {
    targets: {
      required: true,
      schema: { kind: 'map', of: TARGET_SCHEMA, keyPattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, keyExpect: 'letters, digits, ".", "_", "-" (not starting with a punctuation mark)', minEntries: 1 },
    },
  },
};
