export { ScaleOut, type ScaleOutHost } from './ScaleOut.js';
import './repartitionByKey.js';
export { writeFenced, isFenced } from './postgres.js';
