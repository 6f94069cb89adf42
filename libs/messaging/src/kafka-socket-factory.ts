import * as net from 'node:net';
import * as tls from 'node:tls';
import { Kafka, type ISocketFactory, type KafkaConfig } from 'kafkajs';
import { quietIdleRequestQueues } from './kafkajs-request-queue';

// Every process that uses Clientela's messaging gets kafkajs's idle-timer fix (see quietIdleRequestQueues).
quietIdleRequestQueues();

/** As kafkajs's own factory. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/**
 * kafkajs's socket factory, with one change: a socket's unref() does nothing once it is destroyed.
 * kafkajs calls unref() in every Connection.disconnect(), and Node defers unref() on a socket without
 * a handle to its next 'connect', which a destroyed socket never sees: while a broker is away, each
 * retry that disconnects again left one more 'connect' listener on the failed socket
 * (MaxListenersExceededWarning after ten). A destroyed socket holds nothing to unref.
 */
export const kafkaSocketFactory =
  (): ISocketFactory =>
  ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    const unref = socket.unref.bind(socket);
    socket.unref = () => (socket.destroyed ? socket : unref());
    return socket;
  };

/** A kafkajs client with Clientela's socket factory (see kafkaSocketFactory): build every client with it. */
export const kafkaClient = (config: KafkaConfig): Kafka => new Kafka({ socketFactory: kafkaSocketFactory(), ...config });
