/**
 * Names inside a checkpoint directory that more than one part of the engine knows: the
 * receivers write their write-ahead logs under RECEIVED_DATA_DIR beside the checkpoint store's
 * LevelDB files, and the store must accept that folder when it opens a directory.
 */
export const RECEIVED_DATA_DIR = 'receivedData';
