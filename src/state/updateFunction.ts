/** updateStateByKey's function: a key's new values of the batch and its state; undefined removes the key. */
export type UpdateFunction<V, S> = (values: V[], state: S | undefined) => S | undefined;
