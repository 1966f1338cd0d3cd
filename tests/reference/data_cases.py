"""The tf.data pipelines whose TensorFlow outputs data_reference.json records (make_data_reference.py)."""
CASES = [
    ("slices_tuple", "tf.data.Dataset.from_tensor_slices((np.arange(6).reshape(3, 2), np.array([1.5, 2.5, 3.5])))"),
    ("slices_dict", "tf.data.Dataset.from_tensor_slices({'a': np.arange(4), 'b': np.arange(8.0).reshape(4, 2)})"),
    ("slices_list", "tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4], [5, 6]])"),
    ("from_tensors", "tf.data.Dataset.from_tensors(([1, 2, 3], 4.0))"),
    ("range_args", "tf.data.Dataset.range(2, 11, 3)"),
    ("batch_remainder", "tf.data.Dataset.range(10).batch(4)"),
    ("batch_drop", "tf.data.Dataset.range(10).batch(4, drop_remainder=True)"),
    ("map_batch", "tf.data.Dataset.range(7).map(lambda x: (x, x * x)).batch(3)"),
    ("filter", "tf.data.Dataset.range(20).filter(lambda x: x % 3 == 0)"),
    ("repeat_take_skip", "tf.data.Dataset.range(5).repeat(3).skip(4).take(7)"),
    ("repeat_batch", "tf.data.Dataset.range(5).repeat(2).batch(3)"),
    ("take_negative", "tf.data.Dataset.range(4).take(-1)"),
    ("skip_all", "tf.data.Dataset.range(4).skip(9)"),
    ("shard", "tf.data.Dataset.range(10).shard(3, 1)"),
    ("unbatch", "tf.data.Dataset.range(7).batch(3).unbatch()"),
    ("rebatch", "tf.data.Dataset.range(10).batch(4).rebatch(3)"),
    ("padded_batch", "tf.data.Dataset.range(1, 6).map(lambda x: tf.fill([x], x)).padded_batch(2)"),
    ("padded_batch_shape", "tf.data.Dataset.range(1, 4).map(lambda x: tf.fill([x], x)).padded_batch("
                           "2, padded_shapes=[5], padding_values=tf.constant(-1, tf.int64))"),
    ("enumerate", "tf.data.Dataset.from_tensor_slices(np.array([7, 8, 9])).enumerate(start=5)"),
    ("concatenate", "tf.data.Dataset.range(3).concatenate(tf.data.Dataset.range(10, 12))"),
    ("zip", "tf.data.Dataset.zip((tf.data.Dataset.range(3), tf.data.Dataset.range(5, 10)))"),
    ("flat_map", "tf.data.Dataset.range(3).flat_map(lambda x: tf.data.Dataset.range(x))"),
    ("interleave", "tf.data.Dataset.range(1, 6).interleave(lambda x: tf.data.Dataset.from_tensors(x).repeat(6), "
                   "cycle_length=2, block_length=4)"),
    ("window", "tf.data.Dataset.range(7).window(3, shift=2, stride=1).flat_map(lambda w: w.batch(3))"),
    ("window_stride", "tf.data.Dataset.range(10).window(3, shift=3, stride=2, drop_remainder=True)"
                      ".flat_map(lambda w: w.batch(3))"),
    ("reduce", "tf.data.Dataset.from_tensors(tf.data.Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x))"),
    ("generator", "tf.data.Dataset.from_generator(lambda: ((i, [i] * 2) for i in range(3)), output_signature="
                  "(tf.TensorSpec((), tf.int32), tf.TensorSpec((2,), tf.float32)))"),
    ("batch_map_prefetch_cache", "tf.data.Dataset.range(8).batch(3).map(lambda b: b * 2).cache().prefetch(2)"),
    ("infinite_take", "tf.data.Dataset.range(3).repeat().take(7)"),
    ("timeseries", "tf.keras.utils.timeseries_dataset_from_array(np.arange(20, dtype='float32').reshape(10, 2), "
                   "np.arange(100, 110), sequence_length=3, sequence_stride=2, sampling_rate=2, batch_size=2)"),
    ("timeseries_range", "tf.keras.utils.timeseries_dataset_from_array(np.arange(30), None, sequence_length=4, "
                         "batch_size=3, start_index=5, end_index=20)"),
    ("timeseries_unbatched", "tf.keras.utils.timeseries_dataset_from_array(np.arange(8), np.arange(8) * 10, "
                             "sequence_length=5, batch_size=None)"),
    ("split_dataset", "tf.keras.utils.split_dataset(tf.data.Dataset.range(10), left_size=0.3)[1]"),
]
