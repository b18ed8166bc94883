/** The connection file Jupyter hands a kernel (`{connection_file}` in kernel.json). */
import { WireFormatError } from "../kernel-errors";
import { isJsonObject, preview } from "./wire-message";

/** Ports, address and signing key of one kernel, mirroring the file (hence snake_case). */
export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

const PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;

/** Narrows a parsed connection file; throws {@link WireFormatError} naming the first bad field. */
export function parseConnectionInfo(value: unknown): ConnectionInfo {
  if (!isJsonObject(value))
    throw new WireFormatError(`invalid connection file: ${preview(value)}; expected an object`);
  const transport = value.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") {
    throw new WireFormatError(
      `invalid connection file transport: ${preview(transport)}; expected "tcp" or "ipc"`,
    );
  }
  const ports = {} as Record<(typeof PORTS)[number], number>;
  for (const name of PORTS) {
    const port = value[name];
    if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new WireFormatError(`invalid connection file ${name}: ${preview(port)}; expected a port number`);
    }
    ports[name] = port;
  }
  const text = (name: string, fallback: string): string => {
    const field = value[name] ?? fallback;
    if (typeof field !== "string") {
      throw new WireFormatError(`invalid connection file ${name}: ${preview(field)}; expected a string`);
    }
    return field;
  };
  return {
    transport,
    ip: text("ip", "127.0.0.1"),
    ...ports,
    key: text("key", ""),
    signature_scheme: text("signature_scheme", "hmac-sha256"),
  };
}

/** The zeromq endpoint of one port: `tcp://ip:port`, or `ipc://ip-port` as jupyter_client names it. */
export function endpoint(info: ConnectionInfo, port: number): string {
  return info.transport === "tcp" ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
