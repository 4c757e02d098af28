export { KafkaUtils, type KafkaRecord } from './KafkaUtils.js';
export { KafkaReceiver, type KafkaReceiverEvent, type KafkaReceiverOptions } from '../receivers/KafkaReceiver.js';
export { KafkaRDD } from './KafkaRDD.js';
export {
  KafkaConfigError,
  type KafkaParams,
  type KafkaParamValue,
} from './params.js';
export { KafkaStreamError } from './retry.js';
export { DirectKafkaInputDStream, type DirectKafkaPosition, type DirectStreamOptions } from '../direct/DirectKafkaInputDStream.js';
export { KafkaSink, writeToKafka, type KafkaSinkOptions } from './sink.js';
