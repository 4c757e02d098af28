package dstreams.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaPairDStream;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerReceiverError;
import org.apache.spark.streaming.scheduler.StreamingListenerReceiverStarted;
import org.apache.spark.streaming.scheduler.StreamingListenerReceiverStopped;
import scala.Tuple2;

/**
 * Spark Streaming's socket wordcount, the counterpart of dstreams' netcat wordcount
 * (bench/jobs/wordcount.job.ts): socketTextStream → flatMap(split on ' ') → mapToPair((w, 1)) →
 * reduceByKey, every batch's counts collected and added to running totals in the driver.
 *
 * Usage: SocketWordCount host port|- expectedWords [batchMs=250] [master=local[2]] [countsFile]
 *
 * A run stops when the words counted reach expectedWords, or when the receiver has stopped (the
 * feeder closed the connection) and a batch cut more than 5 s later comes back empty; then it
 * prints one JSON line {"words","distinct","seconds","wordsPerSecond","batches"} and, when asked,
 * writes every count to countsFile ("count\tword" lines) so that they can be checked. The time
 * runs from the receiver's start (it connects right after; the feeder writes as soon as a client
 * connects) to the batch that counted the last word, as dstreams' benches time theirs.
 *
 * With port "-", it reads lines "port [countsFile]" from stdin and does one run for each on the
 * same SparkContext (a new StreamingContext each), until stdin ends: the runs after the first
 * have the JIT warm, as a long-lived driver's would.
 */
public final class SocketWordCount {
  /** A run's state, shared by the listener bus thread, the job thread and the main thread. */
  private static final class Run {
    volatile long started;
    volatile long finished;
    volatile long receiverStoppedAtMs; // wall clock, as batch times are
    long words;
    long batches;
    final Map<String, Long> totals = new HashMap<>();
    final CountDownLatch done = new CountDownLatch(1);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: SocketWordCount host port|- expectedWords [batchMs=250] [master=local[2]] [countsFile]");
      System.exit(2);
    }
    String host = args[0];
    long expected = Long.parseLong(args[2]);
    long batchMs = args.length > 3 ? Long.parseLong(args[3]) : 250;
    String master = args.length > 4 ? args[4] : "local[2]";
    String countsFile = args.length > 5 ? args[5] : null;

    // No web UI: nothing reads it here, and a fixed port would clash with other runs.
    SparkConf conf = new SparkConf().setMaster(master).setAppName("SocketWordCount").set("spark.ui.enabled", "false");
    JavaSparkContext sc = new JavaSparkContext(conf);
    try {
      if (!args[1].equals("-")) {
        System.out.println(run(sc, host, Integer.parseInt(args[1]), expected, batchMs, countsFile));
      } else {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
          if (line.isBlank()) continue;
          String[] p = line.trim().split(" ", 2);
          System.out.println(run(sc, host, Integer.parseInt(p[0]), expected, batchMs, p.length > 1 ? p[1] : null));
          System.out.flush();
        }
      }
    } finally {
      sc.stop();
    }
    System.exit(0); // a receiver's restart thread may outlive the context
  }

  static String run(JavaSparkContext sc, String host, int port, long expected, long batchMs, String countsFile) throws Exception {
    JavaStreamingContext ssc = new JavaStreamingContext(sc, Durations.milliseconds(batchMs));
    Run r = new Run();
    ssc.addStreamingListener(new StreamingListener() {
      @Override
      public void onReceiverStarted(StreamingListenerReceiverStarted e) {
        if (r.started == 0) r.started = System.nanoTime();
      }

      @Override
      public void onReceiverStopped(StreamingListenerReceiverStopped e) {
        if (r.receiverStoppedAtMs == 0) r.receiverStoppedAtMs = System.currentTimeMillis();
      }

      @Override
      public void onReceiverError(StreamingListenerReceiverError e) {
        // The socket receiver reports the end of the stream as an error and restarts.
        if (r.receiverStoppedAtMs == 0) r.receiverStoppedAtMs = System.currentTimeMillis();
      }
    });

    // split(" ", -1) keeps trailing empty words, as JavaScript's split(' ') does.
    JavaPairDStream<String, Integer> counts = ssc.socketTextStream(host, port)
        .flatMap(line -> Arrays.asList(line.split(" ", -1)).iterator())
        .mapToPair(w -> new Tuple2<>(w, 1))
        .reduceByKey(Integer::sum);
    // The function runs in the driver (only the RDD's own functions go to the executors).
    counts.foreachRDD((rdd, time) -> {
      List<Tuple2<String, Integer>> batch = rdd.collect();
      long n = 0;
      for (Tuple2<String, Integer> t : batch) {
        r.totals.merge(t._1(), (long) t._2(), Long::sum);
        n += t._2();
      }
      r.words += n;
      r.batches++;
      if (r.finished != 0) return;
      long now = System.nanoTime();
      if (r.words >= expected) {
        r.finished = now;
        r.done.countDown();
      } else if (n == 0 && r.receiverStoppedAtMs != 0 && time.milliseconds() > r.receiverStoppedAtMs + 5000) {
        // The feeder closed, and a batch cut 5 s after is empty: everything received has been
        // counted (the receiver's block generator holds at most ~10 blocks when it stops; they
        // are stored within a second or so even on a busy machine). Short: run.ts will say so.
        r.finished = now;
        r.done.countDown();
      }
    });

    ssc.start();
    r.done.await();
    ssc.stop(false, false);

    // The latch and the stop order these reads after the job thread's writes; no batch runs now.
    long words = r.words;
    int distinct = r.totals.size();
    double seconds = (r.finished - r.started) / 1e9;
    if (countsFile != null) {
      try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Paths.get(countsFile), StandardCharsets.UTF_8))) {
        for (Map.Entry<String, Long> e : r.totals.entrySet()) out.append(Long.toString(e.getValue())).append('\t').append(e.getKey()).append('\n');
      }
    }
    return String.format(java.util.Locale.ROOT, "{\"words\":%d,\"distinct\":%d,\"seconds\":%.4f,\"wordsPerSecond\":%.0f,\"batches\":%d}",
        words, distinct, seconds, words / seconds, r.batches);
  }
}
