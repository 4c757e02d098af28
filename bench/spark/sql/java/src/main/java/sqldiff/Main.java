package sqldiff;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.*;
import org.apache.spark.sql.types.*;

/** Reads lines "MODE\texpr" (MODE 1: SELECT expr; T: SELECT expr FROM t), prints one JSON line each. */
public class Main {
  static String q(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
      }
    }
    return b.append('"').toString();
  }

  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().master("local[1]").appName("sqldiff")
        .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1").getOrCreate();
    // The table: every column from text, as the TS side does.
    spark.sql(new String(Files.readAllBytes(Paths.get(args[1])), StandardCharsets.UTF_8)).createOrReplaceTempView("t");
    PrintStream out = new PrintStream(new FileOutputStream(args[2]), true, "UTF-8");
    for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {
      if (line.isEmpty() || line.startsWith("#")) continue;
      int tab = line.indexOf('\t');
      String mode = line.substring(0, tab), expr = line.substring(tab + 1);
      String sql = "SELECT " + expr + (mode.equals("T") ? " FROM t" : "");
      StringBuilder o = new StringBuilder("{\"mode\":" + q(mode) + ",\"expr\":" + q(expr));
      try {
        Dataset<Row> df = spark.sql(sql);
        StructField f = df.schema().fields()[0];
        o.append(",\"name\":").append(q(f.name())).append(",\"type\":").append(q(f.dataType().simpleString()));
        List<Row> rows = df.collectAsList();
        List<scala.collection.Seq<String>> shown = scala.collection.JavaConverters.seqAsJavaList(df.getRows(1000, 0));
        List<String> vals = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
          Object v = rows.get(i).get(0);
          if (v == null) vals.add("null");
          else if (v instanceof String) vals.add(q((String) v));
          else vals.add(q(scala.collection.JavaConverters.seqAsJavaList(shown.get(i + 1)).get(0)));
        }
        o.append(",\"values\":[").append(String.join(",", vals)).append("]");
        List<String> cells = new ArrayList<>();
        for (int i = 1; i < shown.size(); i++) cells.add(q(scala.collection.JavaConverters.seqAsJavaList(shown.get(i)).get(0)));
        o.append(",\"shown\":[").append(String.join(",", cells)).append("]");
      } catch (Throwable e) {
        String cls = e instanceof SparkThrowable && ((SparkThrowable) e).getErrorClass() != null ? ((SparkThrowable) e).getErrorClass() : e.getClass().getSimpleName();
        String msg = String.valueOf(e.getMessage());
        msg = msg.split("\n")[0];
        if (msg.length() > 200) msg = msg.substring(0, 200);
        o.append(",\"error\":").append(q(cls)).append(",\"message\":").append(q(msg));
      }
      out.println(o.append("}"));
    }
    out.close();
    spark.stop();
  }
}
