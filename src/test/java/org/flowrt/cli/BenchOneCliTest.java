package org.flowrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** `flowrt bench-one`: one configuration's figures, its allocator peak equal to what `flowrt plan` predicts. */
class BenchOneCliTest {
  @Test
  void measuresOneConfigurationAndAgreesWithThePlanner() {
    String[] model = {"--channels", "3", "--image-size", "8", "--levels", "2", "--steps", "2", "--width", "8", "--batch", "4",
        "--no-edge-bias"};
    CliRunner.Result bench = CliRunner.run(concat(new String[] {"bench-one", "--steps-per-pass", "2", "--passes", "3"}, model));
    assertEquals(0, bench.exit(), bench.toString());
    JsonObject r = JsonParser.parseString(bench.out().lines().reduce((a, b) -> b).orElseThrow()).getAsJsonObject();
    assertEquals(3, r.getAsJsonArray("train_images_per_s_passes").size());
    assertTrue(r.get("train_images_per_s").getAsDouble() > 0 && r.get("sample_images_per_s").getAsDouble() > 0, r.toString());
    assertTrue(r.get("peak_rss_bytes").getAsLong() > 0, "peak RSS is read from /proc/self/status");
    assertEquals(3, r.getAsJsonObject("config").get("channels").getAsInt());
    assertEquals(false, r.getAsJsonObject("config").get("edgeBias").getAsBoolean());
    assertEquals(0, r.get("repaired_steps").getAsInt() + r.get("skipped_steps").getAsInt(), "ordinary steps only");

    CliRunner.Result plan = CliRunner.run(concat(new String[] {"plan", "--device", "cpu"}, model));
    Matcher m = Pattern.compile("peak .*\\((\\d+) bytes\\)").matcher(plan.out());
    assertTrue(m.find(), plan.toString());
    assertEquals(Long.parseLong(m.group(1)), r.get("peak_allocator_bytes").getAsLong(), "bench-one's allocator peak is the planned one");
  }

  /**
   * --op-times: one more pass with every kernel, convolution pass and memory operation timed, each
   * op's calls counted, so the counts are checked against the model.
   */
  @Test
  void opTimesCountEachKernelConvolutionPassAndMemoryOperation() {
    String[] args = {"bench-one", "--steps-per-pass", "2", "--passes", "1", "--op-times", "--channels", "1", "--image-size",
        "8", "--levels", "2", "--steps", "2", "--width", "8", "--batch", "2"};
    CliRunner.Result bench = CliRunner.run(args);
    assertEquals(0, bench.exit(), bench.toString());
    JsonObject r = JsonParser.parseString(bench.out().lines().reduce((a, b) -> b).orElseThrow()).getAsJsonObject();
    java.util.Map<String, Long> train = new java.util.HashMap<>();
    double previous = Double.MAX_VALUE, total = 0;
    for (var e : r.getAsJsonArray("train_op_times")) {
      JsonObject op = e.getAsJsonObject();
      double ms = op.get("millis").getAsDouble();
      assertTrue(ms >= 0 && ms <= previous, "slowest first: " + op);
      previous = ms;
      total += ms;
      train.put(op.get("op").getAsString(), op.get("calls").getAsLong());
    }
    // The memory operations between the kernels are timed too: each step uploads its batch and
    // zeroes the gradients; and the recorded steps' wall time holds every op.
    assertTrue(train.getOrDefault("upload", 0L) >= 2 && train.getOrDefault("zero", 0L) >= 2, train.toString());
    assertTrue(train.getOrDefault("allocate", 0L) > 0, train.toString());
    assertTrue(r.get("train_op_times_wall_millis").getAsDouble() >= total, r.toString());
    // Level 1 (1×8×8 squeezed to 4×4×4) has 2 flow steps, each coupling 2 of the 4 channels; its
    // network's first convolution (2→8 at 4×4) runs forward in each of the 2 training steps and
    // again in the reversible backward's rebuild, and its filter gradient once.
    assertEquals(2 * 2 * 2, train.get("conv 3x3 2→8 at 4x4 forward"), train.toString());
    assertEquals(2 * 2, train.get("conv 3x3 2→8 at 4x4 backward filter"), train.toString());
    assertTrue(train.containsKey("actnorm_backward") && train.containsKey("adamax_update"), train.toString());
    assertTrue(r.getAsJsonArray("sample_op_times").size() > 0, r.toString());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
