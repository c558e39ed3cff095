// Node entry of the model worker (a worker_threads Worker started by
// start-worker-node.js).
import { parentPort } from 'node:worker_threads';
import { serveModel } from './serve-model.js';

serveModel({
  post: (message, transfer) => parentPort.postMessage(message, transfer),
  listen: (handler) => parentPort.on('message', handler),
});
