export { ScaleOut, type ScaleOutHost } from './ScaleOut.js';
import './repartitionByKey.js';
