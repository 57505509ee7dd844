/** What `ffs-lab init` knows about the target it writes a config for. */
export interface TemplateTarget {
  /** Target name (`--target NAME`). */
  name: string;
  /** Host name, address or ~/.ssh/config alias. */
  host: string;
  /** Default: left to the SSH config (commented out). */
  user?: string;
  /** Default: the only UDC present (commented out). */
  udc?: string;
  /** Jump hosts, ProxyJump syntax. Default none (commented out). */
  proxyJump?: string;
}

/** YAML scalars written as-is only when plain; anything else is double-quoted (JSON strings are valid YAML). */
function scalar(v: string): string {
  return /^[A-Za-z0-9_./@:,-]+$/.test(v) && !/^[-:]/.test(v) ? v : JSON.stringify(v);
}

/**
 * A commented ffs-lab.yaml for one SSH target: the keys a board needs, filled from what is
 * known, the others commented out with their defaults, so the file explains itself
 * (docs/lab-config.example.yaml has every key). The result loads with parseLabConfig.
 */
export function configTemplate(t: TemplateTarget): string {
  const line = (text: string, note?: string) => (note === undefined ? text : `${text.padEnd(46)}# ${note}`);
  /** A key at `indent`: written when known, else commented out with an example. */
  const opt = (indent: string, key: string, value: string | undefined, example: string, note: string) =>
    line(value !== undefined ? `${indent}${key}: ${scalar(value)}` : `${indent}# ${key}: ${example}`, note);
  return [
    '# ffs-lab lab config, written by `ffs-lab init`. Every key: docs/lab-config.example.yaml.',
    '# A mistake is reported with its line and key, exit code 2. Relative paths are relative to',
    '# this file. Secrets never go here: passwordEnv and passphraseEnv name environment variables.',
    'targets:',
    line(`  ${scalar(t.name)}:`, `ffs-lab run --target ${t.name}`),
    '    transport:',
    '      type: ssh',
    line(`      host: ${scalar(t.host)}`, 'a name, an address, or a Host alias of ~/.ssh/config'),
    opt('      ', 'user', t.user, 'root', "default: the SSH config's User, else yours; configfs needs root"),
    line('      # identity: ~/.ssh/id_ed25519', "default: the ssh-agent, the SSH config's IdentityFile, ~/.ssh/id_*"),
    opt('      ', 'proxyJump', t.proxyJump, 'jump@gw.lab.example', "jump hosts (ProxyJump syntax); default the SSH config's"),
    line('      # knownHosts: ~/.ssh/known_hosts', 'host keys are always verified'),
    line('      # acceptNewHostKey: true', 'record the key of a host not yet known (accept-new)'),
    '    # agent:',
    line('    #   installDir: /opt/ffs-lab', 'where `ffs-lab deploy` installs the agent'),
    line('    #   node: /usr/bin/node', 'Node.js 18.15 or later on the board'),
    '    # usb:',
    line('    #   port: 1-2.3', 'the host port the board is cabled to (sysfs name or udev ID_PATH)'),
    line('    #   enumerateTimeoutMs: 15000', 'how long the host waits for a gadget: ms'),
    opt('    ', 'udc', t.udc, 'fe980000.usb', 'default: the only UDC in /sys/class/udc'),
    '    # features:',
    line('    #   mmap: present', 'the kernel carries the zero-copy series: its absence fails'),
    line('    #   dmabuf: present', 'FunctionFS DMABUF (6.9 and later)'),
    '    # tools:',
    line('    #   dir: /opt/ffs-lab-tools', 'ffs-test, testusb, ffs-features built for the board'),
    line('    # directIoDir: /var/lib/ffs-lab', 'ext4/xfs/NFS, not tmpfs: the O_DIRECT-from-a-mapping check'),
    '',
  ].join('\n');
}
